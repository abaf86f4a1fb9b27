import SQLiteKit
/// The device store's SQLite schema, as migrations keyed by `PRAGMA user_version`.
///
/// Each step is small and named; a store written by any earlier build is brought up to date
/// on open, and a store written by a newer build is refused (SQLiteMigrator's error).
enum StoreSchema {
    static var migrator: SQLiteMigrator {
        var migrator = SQLiteMigrator()
        migrator.registerStep("initial tables") { db in
            try db.execute("""
                CREATE TABLE settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE deals(
                    id TEXT PRIMARY KEY,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL);
                CREATE TABLE documents(
                    deal_id TEXT NOT NULL REFERENCES deals(id),
                    kind TEXT NOT NULL,
                    snapshot BLOB,
                    PRIMARY KEY(deal_id, kind));
                CREATE TABLE changes(
                    deal_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    replica INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    PRIMARY KEY(deal_id, kind, replica, seq));
                CREATE TABLE outbox(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    deal_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    replica INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    created_at INTEGER NOT NULL,
                    UNIQUE(deal_id, kind, replica, seq));
                CREATE TABLE cursors(relay TEXT PRIMARY KEY, cursor INTEGER NOT NULL, synced_at INTEGER);
                CREATE TABLE quarantine(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    deal_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    replica INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    reason TEXT NOT NULL,
                    at INTEGER NOT NULL);
                """)
        }
        migrator.registerStep("deal summaries for listing") { db in
            // Summaries are computed by the store; NULL marks one to compute on the next read.
            try db.execute("ALTER TABLE deals ADD COLUMN summary TEXT")
            try db.execute("ALTER TABLE quarantine ADD COLUMN code TEXT NOT NULL DEFAULT 'refused'")
        }
        migrator.registerStep("the document column is called document") { db in
            // `kind` was the column's first name; the protocol, the relay and the API say
            // `document` for shared/staff. SQLite renames it in keys and constraints too.
            for table in ["documents", "changes", "outbox", "quarantine"] {
                try db.execute("ALTER TABLE \(table) RENAME COLUMN kind TO document")
            }
        }
        migrator.registerStep("first-sync window and deals to fetch") { db in
            // Per relay: the closed-deal window its first sync applied (NULL: every deal, or
            // not known) and how many deals it left out; and the deals to ask it for whole
            // (named by `sync-client deal fetch`, or found holding changes with no history).
            try db.execute("""
                ALTER TABLE cursors ADD COLUMN closed_deal_days INTEGER;
                ALTER TABLE cursors ADD COLUMN archived_deals INTEGER;
                CREATE TABLE deal_fetch(deal_id TEXT PRIMARY KEY, requested_at INTEGER NOT NULL);
                """)
        }
        return migrator
    }
}
