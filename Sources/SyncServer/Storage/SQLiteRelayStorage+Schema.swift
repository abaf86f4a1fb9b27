import SyncCore

extension SQLiteRelayStorage {
    /// The relay's schema, one named step per table. Append-only: never edit a shipped step.
    ///
    /// Conventions: `STRICT` tables; times are integer milliseconds since 1970; replica ids
    /// and change sequence numbers are the `Int64` bit patterns of their `UInt64` values;
    /// enums are stored as their raw-value text.
    public static let migrator: SQLiteMigrator = {
        var migrator = SQLiteMigrator()
        migrator.registerStep("create token") { db in
            try db.execute("""
                CREATE TABLE token(
                    id TEXT PRIMARY KEY,
                    hash TEXT NOT NULL UNIQUE,
                    user_name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    dealership TEXT NOT NULL,
                    device TEXT,
                    deal_id TEXT,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
                ) STRICT
                """)
        }
        migrator.registerStep("create deal") { db in
            try db.execute("""
                CREATE TABLE deal(
                    id TEXT PRIMARY KEY,
                    dealership TEXT NOT NULL,
                    buyer_user TEXT,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL
                ) STRICT;
                CREATE INDEX deal_by_dealership ON deal(dealership, id);
                CREATE INDEX deal_by_buyer ON deal(buyer_user) WHERE buyer_user IS NOT NULL;
                """)
        }
        migrator.registerStep("create change_log") { db in
            // AUTOINCREMENT: a sequence number is never reused, even after the newest rows are
            // deleted (compaction), so a device's cursor can never skip a later change.
            try db.execute("""
                CREATE TABLE change_log(
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    deal_id TEXT NOT NULL REFERENCES deal(id),
                    document TEXT NOT NULL CHECK (document IN ('shared', 'staff')),
                    replica INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    author_user TEXT NOT NULL,
                    author_role TEXT NOT NULL,
                    author_device TEXT NOT NULL,
                    author_channel TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    UNIQUE (deal_id, document, replica, change_seq)
                ) STRICT;
                CREATE INDEX change_log_by_deal ON change_log(deal_id, seq);
                """)
        }
        migrator.registerStep("create replica") { db in
            try db.execute("""
                CREATE TABLE replica(
                    replica INTEGER PRIMARY KEY,
                    device TEXT NOT NULL,
                    user_name TEXT NOT NULL,
                    bound_at INTEGER NOT NULL
                ) STRICT
                """)
        }
        migrator.registerStep("create quarantine") { db in
            // No foreign key to deal: a change may be refused because its deal is unknown.
            try db.execute("""
                CREATE TABLE quarantine(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    deal_id TEXT NOT NULL,
                    document TEXT NOT NULL,
                    replica INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    sender_user TEXT NOT NULL,
                    sender_device TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    quarantined_at INTEGER NOT NULL
                ) STRICT
                """)
        }
        migrator.registerStep("create idempotency_key") { db in
            try db.execute("""
                CREATE TABLE idempotency_key(
                    key TEXT PRIMARY KEY,
                    status INTEGER NOT NULL,
                    body BLOB NOT NULL,
                    stored_at INTEGER NOT NULL
                ) STRICT
                """)
        }
        migrator.registerStep("token kind: relay tokens") { db in
            // A relay token lets a downstream relay (a showroom) forward other people's
            // changes; see protocol-spec/sync.md "Relays in a chain".
            try db.execute("ALTER TABLE token ADD COLUMN relay INTEGER NOT NULL DEFAULT 0 CHECK (relay IN (0, 1))")
        }
        // Answers keyed by (dealership, user, key) with the request's digest; what happens
        // to the rows already stored is explained at `scopeIdempotencyKeys`.
        migrator.registerStep("idempotency_key: by dealership, user and key, with request digest", scopeIdempotencyKeys)
        return migrator
    }()
}
