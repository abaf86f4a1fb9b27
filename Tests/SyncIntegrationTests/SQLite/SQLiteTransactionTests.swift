import Testing
@testable import SQLiteKit
import TestSupport

@Suite("SQLite transactions and constraint errors")
struct SQLiteTransactionTests {
    struct Boom: Error, Equatable {}

    private func makeStore(_ directory: TemporaryDirectory) throws -> SQLiteDatabase {
        let db = try SQLiteDatabase(path: directory.file("store.sqlite"))
        try db.execute("""
            CREATE TABLE dealer(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE deal(
                id INTEGER PRIMARY KEY,
                dealer INTEGER NOT NULL REFERENCES dealer(id),
                price INTEGER CHECK (price >= 0)
            );
            INSERT INTO dealer(id, name) VALUES (1, 'North');
            """)
        return db
    }

    @Test("a transaction commits what its body wrote and returns its result")
    func commit() throws {
        try withTemporaryDirectory { directory in
            let db = try makeStore(directory)
            let id = try db.transaction { db in
                try db.execute("INSERT INTO deal(dealer, price) VALUES (?, ?)", arguments: [1, 100])
                return db.lastInsertRowID
            }
            #expect(id == 1)
            #expect(!db.isInTransaction)
            db.close()
            let reopened = try SQLiteDatabase(path: directory.file("store.sqlite"))
            #expect(try reopened.scalar("SELECT price FROM deal WHERE id = ?", [.integer(id)]) == .integer(100))
        }
    }

    @Test("a throwing body rolls back every write and its error is rethrown unchanged")
    func rollbackOnThrow() throws {
        try withTemporaryDirectory { directory in
            let db = try makeStore(directory)
            #expect(throws: Boom()) {
                try db.transaction { db in
                    try db.execute("INSERT INTO deal(dealer, price) VALUES (1, 5)")
                    try db.execute("UPDATE dealer SET name = 'South'")
                    throw Boom()
                }
            }
            #expect(!db.isInTransaction)
            #expect(try db.scalar("SELECT count(*) FROM deal") == .integer(0))
            #expect(try db.scalar("SELECT name FROM dealer") == .text("North"))
            // The connection is usable afterwards.
            try db.transaction { db in try db.execute("INSERT INTO deal(dealer, price) VALUES (1, 6)") }
            #expect(try db.scalar("SELECT count(*) FROM deal") == .integer(1))
        }
    }

    @Test("a constraint error inside a transaction rolls back earlier writes of that transaction")
    func rollbackOnConstraint() throws {
        try withTemporaryDirectory { directory in
            let db = try makeStore(directory)
            do {
                try db.transaction { db in
                    try db.execute("INSERT INTO dealer(id, name) VALUES (2, 'East')")
                    try db.execute("INSERT INTO dealer(id, name) VALUES (3, 'North')")
                }
                Issue.record("expected a UNIQUE violation")
            } catch SQLiteError.constraintUnique {
                // expected
            }
            #expect(try db.scalar("SELECT count(*) FROM dealer") == .integer(1))
        }
    }

    @Test("constraint violations match their family and their exact kind")
    func constraintPatterns() throws {
        try withTemporaryDirectory { directory in
            let db = try makeStore(directory)
            let cases: [(sql: String, exact: SQLiteResultCode)] = [
                ("INSERT INTO dealer(id, name) VALUES (9, 'North')", SQLiteError.constraintUnique),
                ("INSERT INTO dealer(id, name) VALUES (1, 'West')", SQLiteError.constraintPrimaryKey),
                ("INSERT INTO dealer(id, name) VALUES (9, NULL)", SQLiteError.constraintNotNull),
                ("INSERT INTO deal(dealer, price) VALUES (1, -1)", SQLiteError.constraintCheck),
                ("INSERT INTO deal(dealer, price) VALUES (42, 1)", SQLiteError.constraintForeignKey),
            ]
            for (sql, exact) in cases {
                do {
                    try db.execute(sql)
                    Issue.record("expected a constraint error for \(sql)")
                } catch SQLiteError.constraint {
                    let error = try #require(sqliteError(from: { try db.execute(sql) }))
                    #expect(error.code == exact, "\(sql)")
                    #expect(error.code.primary == SQLiteError.constraint)
                    #expect(!(SQLiteError.busy ~= error))
                    #expect(!(SQLiteError.constraintUnique ~= error) || exact == SQLiteError.constraintUnique)
                    #expect(error.sql == sql)
                    #expect(error.description.contains("constraint"))
                }
            }
        }
    }

    @Test("bound values never appear in the error")
    func noBoundValuesInErrors() throws {
        try withTemporaryDirectory { directory in
            let db = try makeStore(directory)
            let secret = "North"
            let error = try #require(sqliteError {
                try db.execute("INSERT INTO dealer(id, name) VALUES (?, ?)", arguments: [77, .text(secret)])
            })
            #expect(SQLiteError.constraint ~= error)
            #expect(!error.description.contains("'North'"))
            #expect(error.sql == "INSERT INTO dealer(id, name) VALUES (?, ?)")
        }
    }

    @Test("a second writer gets SQLiteError.busy after the busy timeout")
    func busy() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            let writer = try makeStore(directory)
            let other = try SQLiteDatabase(path: path, options: .init(busyTimeout: .milliseconds(50)))
            try writer.transaction { _ in
                do {
                    try other.transaction { db in try db.execute("INSERT INTO deal(dealer) VALUES (1)") }
                    Issue.record("expected busy")
                } catch SQLiteError.busy {
                    // expected
                }
            }
            #expect(!other.isInTransaction)
        }
    }

    /// Runs `body` and returns the ``SQLiteError`` it threw, if any.
    private func sqliteError(from body: () throws -> Void) -> SQLiteError? {
        do {
            try body()
            return nil
        } catch {
            return error as? SQLiteError
        }
    }
}
