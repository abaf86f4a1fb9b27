import SQLiteKit

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
        migrator.registerStep("replica binding: user and device apart") { db in
            // Bindings were keyed by the joined text "user/device", so user "a" on device "b/c"
            // and user "a/b" on device "c" shared one key. The user was always stored beside
            // it, so the device is recovered exactly by cutting that user's prefix off.
            try db.execute("""
                UPDATE replica SET device = substr(device, length(user_name) + 2)
                WHERE substr(device, 1, length(user_name) + 1) = user_name || '/'
                """)
        }
        migrator.registerStep("create unloadable_change") { db in
            // Log entries that were stored but cannot be loaded (written by an older relay
            // before a rule that now refuses them): kept in the log, never served or replayed.
            try db.execute("""
                CREATE TABLE unloadable_change(
                    seq INTEGER PRIMARY KEY,
                    reason TEXT NOT NULL,
                    found_at INTEGER NOT NULL
                ) STRICT
                """)
        }
        migrator.registerStep("deal ids scoped by dealership") { db in
            // Deal ids were global, so one dealership could take (or learn of) another's
            // connector-chosen ids. A deal is now (dealership, id); every log row names its
            // dealership. SQLite cannot change a primary key in place: both tables are rebuilt,
            // keeping every row, every sequence number and the sequence's high-water mark.
            try db.execute("""
                PRAGMA defer_foreign_keys = ON;
                CREATE TABLE deal_scoped(
                    dealership TEXT NOT NULL,
                    id TEXT NOT NULL,
                    buyer_user TEXT,
                    created_at INTEGER NOT NULL,
                    created_by TEXT NOT NULL,
                    PRIMARY KEY (dealership, id)
                ) STRICT;
                INSERT INTO deal_scoped(dealership, id, buyer_user, created_at, created_by)
                    SELECT dealership, id, buyer_user, created_at, created_by FROM deal;
                CREATE TABLE change_log_scoped(
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    deal_id TEXT NOT NULL,
                    document TEXT NOT NULL CHECK (document IN ('shared', 'staff')),
                    replica INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL,
                    blob BLOB NOT NULL,
                    author_user TEXT NOT NULL,
                    author_role TEXT NOT NULL,
                    author_device TEXT NOT NULL,
                    author_channel TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    dealership TEXT NOT NULL,
                    FOREIGN KEY (dealership, deal_id) REFERENCES deal_scoped(dealership, id),
                    UNIQUE (dealership, deal_id, document, replica, change_seq)
                ) STRICT;
                INSERT INTO change_log_scoped(seq, deal_id, document, replica, change_seq, blob, author_user, author_role,
                                              author_device, author_channel, received_at, dealership)
                    SELECT c.seq, c.deal_id, c.document, c.replica, c.change_seq, c.blob, c.author_user, c.author_role,
                           c.author_device, c.author_channel, c.received_at, d.dealership
                    FROM change_log c JOIN deal d ON d.id = c.deal_id ORDER BY c.seq;
                DELETE FROM sqlite_sequence WHERE name = 'change_log_scoped';
                INSERT INTO sqlite_sequence(name, seq) SELECT 'change_log_scoped', seq FROM sqlite_sequence WHERE name = 'change_log';
                DROP TABLE change_log;
                DROP TABLE deal;
                ALTER TABLE deal_scoped RENAME TO deal;
                ALTER TABLE change_log_scoped RENAME TO change_log;
                CREATE INDEX change_log_by_deal ON change_log(dealership, deal_id, seq);
                CREATE INDEX deal_by_buyer ON deal(dealership, buyer_user) WHERE buyer_user IS NOT NULL;
                """)
        }
        // Answers keyed by (dealership, user, key) with the request's digest; what happens
        // to the rows already stored is explained at `scopeIdempotencyKeys`.
        migrator.registerStep("idempotency_key: by dealership, user and key, with request digest", scopeIdempotencyKeys)
        migrator.registerStep("create upstream_position (showroom relay's positions with its upstream)") { db in
            // Was `upstream.json` in the data folder, not keyed by upstream; a relay still
            // holding that file moves it in once when its upstream loop starts.
            // `snapshots_after` and `bootstrap_cursor` are a first sync's next page, both or
            // neither.
            try db.execute("""
                CREATE TABLE upstream_position(
                    upstream TEXT PRIMARY KEY,
                    pushed_through INTEGER NOT NULL CHECK (pushed_through >= 0),
                    cursor INTEGER NOT NULL CHECK (cursor >= 0),
                    snapshots_after TEXT,
                    bootstrap_cursor INTEGER,
                    CHECK ((snapshots_after IS NULL) = (bootstrap_cursor IS NULL))
                ) STRICT
                """)
        }
        migrator.registerStep("a log position is called position, not seq") { db in
            // `seq` is a change's number among its replica's changes (`change_seq` here); the
            // log's own numbering was called seq too. SQLite renames the column in the
            // index and the keys as well; sqlite_sequence keeps its own column name.
            try db.execute("ALTER TABLE change_log RENAME COLUMN seq TO position")
            try db.execute("ALTER TABLE unloadable_change RENAME COLUMN seq TO position")
        }
        migrator.registerStep("create document_snapshot (each document's snapshot, served by first syncs)") { db in
            // Filled lazily: a document without a row is built from the log the first time a
            // first sync needs it, so opening an old store stays fast. `blob` holds every
            // loadable change of the document with a position up to `covers`; `stale_from` is
            // the first change appended since (NULL: none), `rules` what built it
            // (`StoredSnapshot.currentRules`). A NULL blob must be built again.
            try db.execute("""
                CREATE TABLE document_snapshot(
                    dealership TEXT NOT NULL,
                    deal_id TEXT NOT NULL,
                    document TEXT NOT NULL CHECK (document IN ('shared', 'staff')),
                    blob BLOB,
                    change_count INTEGER NOT NULL CHECK (change_count >= 0),
                    covers INTEGER NOT NULL CHECK (covers >= 0),
                    stale_from INTEGER,
                    rules INTEGER NOT NULL,
                    PRIMARY KEY (dealership, deal_id, document)
                ) STRICT
                """)
        }
        migrator.registerStep("create deal_analytics") { db in
            // Per deal, what GET /v1/analytics needs (DealFacts), written in the transaction of
            // the deal's changes, so a report reads rows instead of every document. Plain
            // columns, not a JSON text: a report of 100,000 deals reads numbers and one short
            // text each, where JSON would be parsed 100,000 times per request. `stages` has
            // one letter per stage (`DealAnalyticsRow.stageLetters`); `channel_path` the
            // channels of the deal's changes by author time, repeats collapsed, separated by
            // spaces; `switches` and `last_channel` are read from it. A stale row waits to be
            // computed from the deal's documents: every deal already in the log starts stale,
            // and the relay computes them (and records its rules in deal_analytics_rules)
            // before its first report.
            try db.execute("""
                CREATE TABLE deal_analytics(
                    dealership TEXT NOT NULL,
                    deal_id TEXT NOT NULL,
                    stale INTEGER NOT NULL DEFAULT 1 CHECK (stale IN (0, 1)),
                    state TEXT,
                    stages TEXT NOT NULL DEFAULT '',
                    filled INTEGER NOT NULL DEFAULT 0,
                    required INTEGER NOT NULL DEFAULT 0,
                    last_channel TEXT,
                    switches INTEGER NOT NULL DEFAULT 0 CHECK (switches >= 0),
                    channel_path TEXT NOT NULL DEFAULT '',
                    last_change_at INTEGER,
                    PRIMARY KEY (dealership, deal_id),
                    FOREIGN KEY (dealership, deal_id) REFERENCES deal(dealership, id),
                    CHECK (filled >= 0 AND filled <= required)
                ) STRICT, WITHOUT ROWID;
                CREATE INDEX deal_analytics_stale ON deal_analytics(dealership, deal_id) WHERE stale = 1;
                INSERT INTO deal_analytics(dealership, deal_id) SELECT DISTINCT dealership, deal_id FROM change_log;
                CREATE TABLE deal_analytics_rules(
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    rules TEXT NOT NULL
                ) STRICT;
                """)
        }
        migrator.registerStep("deal_analytics: totals per dealership, is_open, indexes of switches and idle deals") { db in
            // A report of a whole dealership reads these instead of every row: per dealership
            // the sums of its current rows' facts (AnalyticsTotals, counters by name), moved by
            // the difference of a row's old and new facts in the transaction that writes it,
            // and two indexes whose first entries are its lists. `is_open` is 0 for a deal in a
            // closed state (never idle). Every row is computed again (its totals and is_open
            // with it): marked stale, and the rules forgotten.
            try db.execute("""
                ALTER TABLE deal_analytics ADD COLUMN is_open INTEGER NOT NULL DEFAULT 0 CHECK (is_open IN (0, 1));
                UPDATE deal_analytics SET stale = 1;
                DELETE FROM deal_analytics_rules;
                CREATE INDEX deal_analytics_switches ON deal_analytics(dealership, switches DESC, deal_id) WHERE stale = 0 AND switches > 0;
                CREATE INDEX deal_analytics_idle ON deal_analytics(dealership, last_change_at, deal_id)
                    WHERE stale = 0 AND is_open = 1 AND last_change_at IS NOT NULL;
                CREATE TABLE deal_analytics_totals(
                    dealership TEXT NOT NULL,
                    counter TEXT NOT NULL,
                    value INTEGER NOT NULL,
                    PRIMARY KEY (dealership, counter)
                ) STRICT, WITHOUT ROWID;
                """)
        }
        migrator.registerStep("deal_analytics: index of closed deals by last change") { db in
            // A first sync leaves out the deals closed before its window; this counts them.
            try db.execute("""
                CREATE INDEX deal_analytics_closed ON deal_analytics(dealership, last_change_at)
                    WHERE stale = 0 AND is_open = 0;
                """)
        }
        migrator.registerStep("compaction: document_base, document_horizon, compaction") { db in
            // A compacted document: its shallow snapshot (state, and the changes after its
            // horizon) stands for every log row of it up to `through`, which are deleted.
            // `document_horizon` is the horizon per replica, so an author's next change is
            // known with its earlier rows gone; `compaction` the furthest `through` of all, so
            // a cursor behind it is told to sync again from 0 (protocol-spec/sync.md).
            try db.execute("""
                CREATE TABLE document_base(
                    dealership TEXT NOT NULL,
                    deal_id TEXT NOT NULL,
                    document TEXT NOT NULL CHECK (document IN ('shared', 'staff')),
                    through INTEGER NOT NULL CHECK (through >= 0),
                    snapshot BLOB NOT NULL,
                    compacted_at INTEGER NOT NULL,
                    PRIMARY KEY (dealership, deal_id, document)
                ) STRICT;
                CREATE TABLE document_horizon(
                    dealership TEXT NOT NULL,
                    deal_id TEXT NOT NULL,
                    document TEXT NOT NULL,
                    replica INTEGER NOT NULL,
                    change_seq INTEGER NOT NULL,
                    PRIMARY KEY (dealership, deal_id, document, replica)
                ) STRICT;
                CREATE TABLE compaction(
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    through INTEGER NOT NULL
                ) STRICT;
                """)
        }
        return migrator
    }()
}
