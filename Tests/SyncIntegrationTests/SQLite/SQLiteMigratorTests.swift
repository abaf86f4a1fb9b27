import Testing
@testable import SQLiteKit
import TestSupport

@Suite("SQLite migrations")
struct SQLiteMigratorTests {
    struct Boom: Error {}

    /// The schema history of an imaginary app: version 1, 2 and 3 of the store.
    static func migrator(upTo version: Int = 3) -> SQLiteMigrator {
        var migrator = SQLiteMigrator()
        let steps: [(String, @Sendable (SQLiteDatabase) throws -> Void)] = [
            ("create deal", { db in try db.execute("CREATE TABLE deal(id INTEGER PRIMARY KEY, title TEXT NOT NULL)") }),
            ("add deal.price", { db in try db.execute("ALTER TABLE deal ADD COLUMN price INTEGER NOT NULL DEFAULT 0") }),
            ("create outbox", { db in
                try db.execute("""
                    CREATE TABLE outbox(seq INTEGER PRIMARY KEY, deal INTEGER NOT NULL REFERENCES deal(id));
                    CREATE INDEX outbox_deal ON outbox(deal);
                    """)
            }),
        ]
        for (name, apply) in steps.prefix(version) {
            migrator.registerStep(name, apply)
        }
        return migrator
    }

    @Test("a new store migrates from schema 0 to the latest, once")
    func fromScratch() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.file("store.sqlite"))
            let migrator = Self.migrator()
            #expect(try SQLiteMigrator.schemaVersion(of: db) == 0)
            #expect(try migrator.migrate(db) == ["create deal", "add deal.price", "create outbox"])
            #expect(try SQLiteMigrator.schemaVersion(of: db) == 3)
            #expect(migrator.latestVersion == 3)
            #expect(migrator.steps.map(\.version) == [1, 2, 3])
            let tables = try db.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name") { $0.string(at: 0) }
            #expect(tables == ["deal", "outbox"])
            #expect(try migrator.migrate(db) == [], "a second run has nothing to do")
        }
    }

    @Test("a store written by the previous version is upgraded and keeps its rows")
    func fromPreviousVersion() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            do {
                let old = try SQLiteDatabase(path: path)
                try Self.migrator(upTo: 1).migrate(old)
                try old.execute("INSERT INTO deal(id, title) VALUES (?, ?)", arguments: [1, "Civic"])
            }
            let db = try SQLiteDatabase(path: path)
            #expect(try SQLiteMigrator.schemaVersion(of: db) == 1)
            #expect(try Self.migrator().migrate(db) == ["add deal.price", "create outbox"])
            let rows = try db.query("SELECT title, price FROM deal") { [$0.value(at: 0), $0.value(at: 1)] }
            #expect(rows == [[.text("Civic"), .integer(0)]])
            try db.execute("INSERT INTO outbox(deal) VALUES (1)")
        }
    }

    @Test("a store from a newer build is refused and left untouched")
    func newerStore() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            do {
                let future = try SQLiteDatabase(path: path)
                try Self.migrator().migrate(future)
                try future.execute("PRAGMA user_version = 5")
            }
            let db = try SQLiteDatabase(path: path)
            do {
                try Self.migrator().migrate(db)
                Issue.record("expected newerSchema")
            } catch let error as SQLiteStoreError {
                guard case .newerSchema(found: 5, known: 3) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(error.description.contains("store was written by a newer version (schema 5, this build knows 3)"))
            }
            #expect(try SQLiteMigrator.schemaVersion(of: db) == 5)
        }
    }

    @Test("a failing step is rolled back whole and the store stays at the previous version")
    func failingStep() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.file("store.sqlite"))
            var migrator = Self.migrator(upTo: 1)
            migrator.registerStep("half done") { db in
                try db.execute("CREATE TABLE half(x)")
                throw Boom()
            }
            do {
                try migrator.migrate(db)
                Issue.record("expected migrationFailed")
            } catch let SQLiteStoreError.migrationFailed(version, name, underlying) {
                #expect(version == 2)
                #expect(name == "half done")
                #expect(underlying is Boom)
            }
            #expect(try SQLiteMigrator.schemaVersion(of: db) == 1)
            #expect(try db.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'half'") == .integer(0))
            #expect(!db.isInTransaction)
        }
    }

    @Test("an up-to-date store migrates without writing, even read-only")
    func upToDateReadOnly() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            do {
                let db = try SQLiteDatabase(path: path)
                try Self.migrator().migrate(db)
            }
            let reader = try SQLiteDatabase(path: path, options: .readOnly)
            #expect(try Self.migrator().migrate(reader) == [])
            // One step more than the store has: the write is refused, the store is unchanged.
            var newer = Self.migrator()
            newer.registerStep("create note") { db in try db.execute("CREATE TABLE note(x)") }
            do {
                try newer.migrate(reader)
                Issue.record("expected a read-only failure")
            } catch let SQLiteStoreError.migrationFailed(version, _, underlying) {
                #expect(version == 4)
                #expect(SQLiteError.readOnly ~= underlying)
            }
            #expect(try SQLiteMigrator.schemaVersion(of: reader) == 3)
        }
    }
}
