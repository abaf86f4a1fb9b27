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
        // The rest of the relay's storage, the tables of SQLiteRelayStorage's schema as they
        // stand at its step "compaction" (see there for what each holds and why). Ids and
        // dealerships compare by their bytes (collation "C"), as SQLite's BINARY does, so
        // pages and lists come in the same order whichever store serves them.
        (2, "the relay's other tables", [
            #"ALTER TABLE change_log ALTER COLUMN dealership TYPE text COLLATE "C", ALTER COLUMN deal_id TYPE text COLLATE "C""#,
            """
            CREATE TABLE token (
                id text COLLATE "C" PRIMARY KEY,
                hash text NOT NULL UNIQUE,
                user_name text NOT NULL,
                role text NOT NULL,
                dealership text NOT NULL,
                device text,
                deal_id text,
                created_at bigint NOT NULL,
                expires_at bigint NOT NULL,
                revoked boolean NOT NULL DEFAULT false,
                relay boolean NOT NULL DEFAULT false
            )
            """,
            """
            CREATE TABLE deal (
                dealership text COLLATE "C" NOT NULL,
                id text COLLATE "C" NOT NULL,
                buyer_user text,
                created_at bigint NOT NULL,
                created_by text NOT NULL,
                PRIMARY KEY (dealership, id)
            )
            """,
            "CREATE INDEX deal_by_buyer ON deal (dealership, buyer_user, id) WHERE buyer_user IS NOT NULL",
            """
            CREATE TABLE replica (
                replica bigint PRIMARY KEY,
                device text NOT NULL,
                user_name text NOT NULL,
                bound_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE quarantine (
                id bigserial PRIMARY KEY,
                deal_id text NOT NULL,
                document text NOT NULL,
                replica bigint NOT NULL,
                change_seq bigint NOT NULL,
                blob bytea NOT NULL,
                sender_user text NOT NULL,
                sender_device text NOT NULL,
                reason text NOT NULL,
                quarantined_at bigint NOT NULL
            )
            """,
            """
            CREATE TABLE idempotency_key (
                dealership text NOT NULL,
                user_name text NOT NULL,
                key text NOT NULL,
                request_digest bytea,
                status integer NOT NULL,
                body bytea NOT NULL,
                stored_at bigint NOT NULL,
                PRIMARY KEY (dealership, user_name, key)
            )
            """,
            """
            CREATE TABLE upstream_position (
                upstream text PRIMARY KEY,
                pushed_through bigint NOT NULL CHECK (pushed_through >= 0),
                cursor bigint NOT NULL CHECK (cursor >= 0),
                snapshots_after text,
                bootstrap_cursor bigint,
                CHECK ((snapshots_after IS NULL) = (bootstrap_cursor IS NULL))
            )
            """,
            "CREATE TABLE unloadable_change (position bigint PRIMARY KEY, reason text NOT NULL, found_at bigint NOT NULL)",
            """
            CREATE TABLE document_snapshot (
                dealership text COLLATE "C" NOT NULL,
                deal_id text COLLATE "C" NOT NULL,
                document text NOT NULL CHECK (document IN ('shared', 'staff')),
                blob bytea,
                change_count bigint NOT NULL CHECK (change_count >= 0),
                covers bigint NOT NULL CHECK (covers >= 0),
                stale_from bigint,
                rules integer NOT NULL,
                PRIMARY KEY (dealership, deal_id, document)
            )
            """,
            """
            CREATE TABLE deal_analytics (
                dealership text COLLATE "C" NOT NULL,
                deal_id text COLLATE "C" NOT NULL,
                stale boolean NOT NULL DEFAULT true,
                state text,
                stages text NOT NULL DEFAULT '',
                filled integer NOT NULL DEFAULT 0,
                required integer NOT NULL DEFAULT 0,
                last_channel text,
                switches integer NOT NULL DEFAULT 0 CHECK (switches >= 0),
                channel_path text NOT NULL DEFAULT '',
                last_change_at bigint,
                is_open boolean NOT NULL DEFAULT false,
                PRIMARY KEY (dealership, deal_id),
                CHECK (filled >= 0 AND filled <= required)
            )
            """,
            "CREATE INDEX deal_analytics_stale ON deal_analytics (dealership, deal_id) WHERE stale",
            "CREATE INDEX deal_analytics_switches ON deal_analytics (dealership, switches DESC, deal_id) WHERE NOT stale AND switches > 0",
            """
            CREATE INDEX deal_analytics_idle ON deal_analytics (dealership, last_change_at, deal_id)
                WHERE NOT stale AND is_open AND last_change_at IS NOT NULL
            """,
            "CREATE INDEX deal_analytics_closed ON deal_analytics (dealership, last_change_at) WHERE NOT stale AND NOT is_open",
            """
            CREATE TABLE deal_analytics_totals (
                dealership text NOT NULL,
                counter text NOT NULL,
                value bigint NOT NULL,
                PRIMARY KEY (dealership, counter)
            )
            """,
            "CREATE TABLE deal_analytics_rules (id integer PRIMARY KEY CHECK (id = 1), rules text NOT NULL)",
            """
            CREATE TABLE document_base (
                dealership text COLLATE "C" NOT NULL,
                deal_id text COLLATE "C" NOT NULL,
                document text NOT NULL CHECK (document IN ('shared', 'staff')),
                through bigint NOT NULL CHECK (through >= 0),
                snapshot bytea NOT NULL,
                compacted_at bigint NOT NULL,
                PRIMARY KEY (dealership, deal_id, document)
            )
            """,
            """
            CREATE TABLE document_horizon (
                dealership text NOT NULL,
                deal_id text NOT NULL,
                document text NOT NULL,
                replica bigint NOT NULL,
                change_seq bigint NOT NULL,
                PRIMARY KEY (dealership, deal_id, document, replica)
            )
            """,
            "CREATE TABLE compaction (id integer PRIMARY KEY CHECK (id = 1), through bigint NOT NULL)",
            // Every deal already in the log gets a row to compute.
            "INSERT INTO deal_analytics (dealership, deal_id) SELECT DISTINCT dealership, deal_id FROM change_log",
        ]),
    ]

    static func migrate(_ connection: PostgresConnection) throws {
        try connection.transaction { db in
            // "relation already exists, skipping" and the like are not news to an operator.
            try db.execute("SET LOCAL client_min_messages = warning")
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
