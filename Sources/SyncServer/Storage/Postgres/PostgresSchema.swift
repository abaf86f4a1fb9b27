#if PostgreSQL
import PostgresKit

/// The relay's tables in PostgreSQL and their migrations: numbered steps, each applied once,
/// in order, in one transaction with the record that it was (`schema_migration`). Nodes that
/// start together take a transaction-scoped advisory lock first, so one migrates and the
/// others find it done. A database migrated by a newer build (a step this build does not
/// know) is refused, as the SQLite store refuses a newer schema.
enum PostgresSchema {
    /// The advisory lock key of migrations (any constant the relay alone uses).
    static let migrationLock: Int64 = 0x6465_616C_7379_6E63  // "dealsync"

    static let steps: [(version: Int64, name: String, sql: [String])] = [
        (1, "create the change log", [
            """
            CREATE TABLE log_head (
                id integer PRIMARY KEY CHECK (id = 1),
                position bigint NOT NULL CHECK (position >= 0)
            )
            """,
            "INSERT INTO log_head VALUES (1, 0)",
            """
            CREATE TABLE change_log (
                position bigint PRIMARY KEY,
                dealership text NOT NULL,
                deal_id text NOT NULL,
                document text NOT NULL CHECK (document IN ('shared', 'staff')),
                replica bigint NOT NULL,
                change_seq bigint NOT NULL,
                blob bytea NOT NULL,
                author_user text NOT NULL,
                author_role text NOT NULL,
                author_device text NOT NULL,
                author_channel text NOT NULL,
                received_at bigint NOT NULL,
                UNIQUE (dealership, deal_id, document, replica, change_seq)
            )
            """,
            "CREATE INDEX change_log_by_deal ON change_log (dealership, deal_id, position)",
        ]),
    ]

    static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction { db in
            try db.execute("SELECT pg_advisory_xact_lock($1)", [.int(migrationLock)])
            try db.execute("""
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version bigint PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try db.execute("SELECT version FROM schema_migration").allRows.map { try $0.int64(0) })
            let known = Set(steps.map(\.version))
            if let newer = applied.subtracting(known).max() {
                throw PostgresError(.misuse, "the database's relay schema is at step \(newer), newer than this build knows (\(known.max() ?? 0)): run a newer sync-server")
            }
            for step in steps where !applied.contains(step.version) {
                for statement in step.sql { try db.execute(statement) }
                try db.execute("INSERT INTO schema_migration(version, name) VALUES ($1, $2)", [.int(step.version), .text(step.name)])
            }
        }
    }
}
#endif
