// libpq, PostgreSQL's client library (Debian: libpq-dev). Only PostgresKit imports it, and
// only when the package's PostgreSQL trait is on: the default build never reads this header.
#include <postgresql/libpq-fe.h>
