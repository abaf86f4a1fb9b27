import Testing
@testable import SQLiteKit
import TestSupport

@Suite("SQLite statements")
struct StatementTests {
    static let roundTripValues: [SQLiteValue] = [
        .null,
        .integer(0), .integer(1), .integer(-1), .integer(.max), .integer(.min),
        .real(0), .real(-0.0), .real(3.141592653589793), .real(-1e-300), .real(.greatestFiniteMagnitude),
        .real(.infinity), .real(-.infinity),
        .text(""), .text("a"), .text("Crème brûlée 🚗 ✓"), .text("nul\u{0}inside"), .text(String(repeating: "x", count: 100_000)),
        .blob([]), .blob([0]), .blob(Array(0...255)), .blob([UInt8](repeating: 0xAB, count: 1 << 20)),
    ]

    @Test("every value round-trips with its storage class", arguments: roundTripValues)
    func roundTrip(_ value: SQLiteValue) throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.file("store.sqlite"))
            try db.execute("CREATE TABLE t(v)")
            try db.execute("INSERT INTO t(v) VALUES (?)", arguments: [value])
            let stored = try db.query("SELECT v, typeof(v), v IS NULL FROM t") { row in
                (row.value(at: 0), row.string(at: 1), row.int64(at: 2))
            }
            #expect(stored.count == 1)
            #expect(stored[0].0 == value)
            let expectedType = switch value {
            case .null: "null"
            case .integer: "integer"
            case .real: "real"
            case .text: "text"
            case .blob: "blob"
            }
            #expect(stored[0].1 == expectedType)
            #expect(stored[0].2 == (value.isNull ? 1 : 0))
        }
    }

    @Test("typed binds and typed column accessors agree")
    func typedAccessors() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n, flag INTEGER)")
        let insert = try db.makeStatement("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)")
        #expect(insert.parameterCount == 6)
        try insert.bind(Int64(42), at: 1)
        try insert.bind(2.5, at: 2)
        try insert.bind("", at: 3)
        try insert.bind([UInt8](), at: 4)
        try insert.bindNull(at: 5)
        try insert.bind(true, at: 6)
        #expect(try insert.step() == false)
        #expect(db.changes == 1)
        #expect(db.lastInsertRowID == 1)

        let select = try db.makeStatement("SELECT i, r, s, b, n, flag FROM t")
        #expect(try select.step())
        #expect(select.int64(at: 0) == 42)
        #expect(select.double(at: 1) == 2.5)
        #expect(select.string(at: 2) == "")
        #expect(!select.isNull(at: 2), "an empty string must not be stored as NULL")
        #expect(select.blob(at: 3) == [])
        #expect(!select.isNull(at: 3), "an empty blob must not be stored as NULL")
        #expect(select.isNull(at: 4))
        #expect(select.int64(at: 5) == 1)
        #expect(select.columnName(at: 1) == "r")
        let sum = select.withUnsafeBlob(at: 3) { $0.count }
        #expect(sum == 0)
        #expect(try select.step() == false)
    }

    @Test("withUnsafeBlob lends the bytes SQLite holds")
    func borrowedBlob() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        let bytes: [UInt8] = [1, 2, 3, 250]
        let total = try db.query("SELECT ?", [.blob(bytes)]) { row in
            row.withUnsafeBlob(at: 0) { buffer in buffer.reduce(0) { $0 + Int($1) } }
        }
        #expect(total == [256])
    }

    @Test("cached statements are reused, reset and unbound")
    func statementCache() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t(v INTEGER)")
        let baseline = db.cachedStatementCount
        let first = try db.cachedStatement("INSERT INTO t(v) VALUES (?)")
        try first.bind(7, at: 1)
        try first.run()
        let second = try db.cachedStatement("INSERT INTO t(v) VALUES (?)")
        #expect(first === second)
        #expect(db.cachedStatementCount == baseline + 1)
        try second.run()  // bindings were cleared: inserts NULL, not 7

        for value in 0..<100 {
            try db.execute("INSERT INTO t(v) VALUES (?)", arguments: [.integer(Int64(value))])
        }
        #expect(db.cachedStatementCount == baseline + 1)
        #expect(try db.scalar("SELECT count(*) FROM t") == .integer(102))
        #expect(try db.query("SELECT v FROM t ORDER BY rowid LIMIT 2") { $0.value(at: 0) } == [.integer(7), .null])
    }

    @Test("a nested query with the same SQL gets its own statement")
    func nestedSameSQL() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2), (3)")
        let pairs = try db.query("SELECT v FROM t ORDER BY v") { outer in
            let v = outer.int64(at: 0)
            let inner = try db.query("SELECT v FROM t ORDER BY v") { $0.int64(at: 0) }
            return (v, inner.count)
        }
        #expect(pairs.map(\.0) == [1, 2, 3])
        #expect(pairs.map(\.1) == [3, 3, 3])
    }

    @Test("scalar distinguishes no row from a NULL value")
    func scalarNoRow() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.execute("CREATE TABLE t(v)")
        #expect(try db.scalar("SELECT v FROM t") == nil)
        #expect(try db.scalar("SELECT NULL") == .null)
        #expect(try db.scalar("SELECT ? + 1", [41]) == .integer(42))
    }

    @Test("a prepared statement refuses a second statement; execute runs scripts")
    func singleStatementOnly() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        #expect(throws: SQLiteError.self) { try db.makeStatement("CREATE TABLE a(x); CREATE TABLE b(x)") }
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema") == .integer(0))
        _ = try db.makeStatement("SELECT 1; -- a trailing comment\n ; ")
        try db.execute("CREATE TABLE a(x); /* comment */ CREATE TABLE b(x);")
        #expect(try db.scalar("SELECT count(*) FROM sqlite_schema") == .integer(2))
    }

    @Test("bad SQL throws with the SQL text and SQLite's message")
    func syntaxError() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        do {
            try db.execute("CREATE TABLE ok(x); SELEC nonsense")
            Issue.record("expected an error")
        } catch let error as SQLiteError {
            #expect(error.code == SQLiteError.error)
            #expect(error.sql == "SELEC nonsense")
            #expect(error.message.contains("syntax error"))
            #expect(error.description.contains("SQLITE_ERROR"))
        }
    }

    @Test("pragmas set on open")
    func pragmas() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.file("store.sqlite"))
            #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
            #expect(try db.scalar("PRAGMA synchronous") == .integer(2))  // FULL
            #expect(try db.scalar("PRAGMA foreign_keys") == .integer(1))
            #expect(try db.scalar("PRAGMA busy_timeout") == .integer(5_000))
        }
    }
}
