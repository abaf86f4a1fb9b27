import Foundation
import Testing
@testable import SQLiteKit
import TestSupport

@Suite("Opening bad paths and files, and a full disk")
struct SQLiteOpenFailureTests {
    @Test("random bytes given as a database: notADatabase, file unchanged, nothing created beside it")
    func randomBytes() throws {
        try withTemporaryDirectory { directory in
            var generator = SystemRandomNumberGenerator()
            // Random bytes could start with the SQLite magic only with probability 2^-128.
            let bytes = (0..<8_192).map { _ in UInt8.random(in: 0...255, using: &generator) }
            try expectRefused(bytes, at: directory.file("photo.jpg"), as: SQLiteError.notADatabase, in: directory)
        }
    }

    @Test("a text file given as a database: notADatabase, file unchanged")
    func textFile() throws {
        try withTemporaryDirectory { directory in
            let text = Array(String(repeating: "deal,price,dealer\nCivic,21000,North\n", count: 200).utf8)
            try expectRefused(text, at: directory.file("deals.csv"), as: SQLiteError.notADatabase, in: directory)
        }
    }

    @Test("a database with a damaged schema page: corrupt, file unchanged")
    func corruptFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            do {
                let db = try SQLiteDatabase(path: path, options: .init(walJournal: false))
                try db.execute("CREATE TABLE deal(id INTEGER PRIMARY KEY, title TEXT)")
            }
            var bytes = try contentsOfFile(path)
            #expect(Array(bytes.prefix(15)) == Array("SQLite format 3".utf8))
            bytes[100] = 0x07  // the b-tree page type of sqlite_schema: 7 is not a valid type
            try expectRefused(bytes, at: path, as: SQLiteError.corrupt, in: directory)
        }
    }

    @Test("read-only open of a missing file: cantOpen, and nothing is created")
    func readOnlyMissingFile() throws {
        // Root ignores permission bits, so a chmod'ed folder would not fail in CI; a read-only
        // open of a missing file fails for everyone, since SQLite may not create it.
        try withTemporaryDirectory { directory in
            let path = directory.file("missing.sqlite")
            let error = try #require(openError(path, .readOnly) as? SQLiteError)
            #expect(error.code.primary == SQLiteError.cantOpen)
            #expect(error.description.contains(path))
            #expect(error.description.contains("could not be opened"))
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("a folder that is really a regular file: cantOpen, even for root")
    func parentIsAFile() throws {
        // open(2) returns ENOTDIR whatever the caller's privileges.
        try withTemporaryDirectory { directory in
            try writeFile(directory.file("not-a-folder"), Array("x".utf8))
            do {
                _ = try SQLiteDatabase(path: directory.file("not-a-folder/store.sqlite"))
                Issue.record("expected cantOpen")
            } catch SQLiteError.cantOpen {
                // expected
            }
            #expect(try contentsOfFile(directory.file("not-a-folder")) == Array("x".utf8))
        }
    }

    @Test("create: false on a missing file: cantOpen")
    func noCreate() throws {
        try withTemporaryDirectory { directory in
            let error = openError(directory.file("absent.sqlite"), .init(create: false))
            let unwrapped = try #require(error)
            #expect(SQLiteError.cantOpen ~= unwrapped)
        }
    }

    @Test("writing through a read-only connection: readOnly")
    func writeToReadOnly() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            do {
                let db = try SQLiteDatabase(path: path)
                try db.execute("CREATE TABLE t(v); INSERT INTO t VALUES (1)")
            }
            let reader = try SQLiteDatabase(path: path, options: .readOnly)
            #expect(try reader.scalar("SELECT v FROM t") == .integer(1))
            do {
                try reader.execute("INSERT INTO t VALUES (2)")
                Issue.record("expected readOnly")
            } catch SQLiteError.readOnly {
                // expected
            }
        }
    }

    @Test("a full disk (max_page_count) throws full and keeps every committed row")
    func fullDisk() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            let db = try SQLiteDatabase(path: path)
            try db.execute("CREATE TABLE deal(id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
            try db.transaction { db in
                for id in 1...10 {
                    try db.execute("INSERT INTO deal(id, payload) VALUES (?, ?)",
                                   arguments: [.integer(Int64(id)), .blob([UInt8](repeating: UInt8(id), count: 100))])
                }
            }
            let pages = try #require(try db.scalar("PRAGMA page_count")?.int64)
            _ = try db.scalar("PRAGMA max_page_count = \(pages + 2)")
            var failure: (any Error)?
            do {
                try db.transaction { db in
                    for id in 11...100 {
                        try db.execute("INSERT INTO deal(id, payload) VALUES (?, ?)",
                                       arguments: [.integer(Int64(id)), .blob([UInt8](repeating: 1, count: 4_000))])
                    }
                }
            } catch {
                failure = error
            }
            let error = try #require(failure as? SQLiteError)
            #expect(error.code.primary == SQLiteError.full)
            #expect(error.description.contains("full"))
            #expect(!db.isInTransaction)
            #expect(try db.scalar("SELECT count(*) FROM deal") == .integer(10))
            db.close()

            let reopened = try SQLiteDatabase(path: path)
            #expect(try reopened.scalar("PRAGMA integrity_check") == .text("ok"))
            let ids = try reopened.query("SELECT id, length(payload) FROM deal ORDER BY id") { [$0.int64(at: 0), $0.int64(at: 1)] }
            #expect(ids == (1...10).map { [Int64($0), 100] })
        }
    }

    // MARK: Helpers

    /// Writes `bytes` at `path`, opens it in every mode, and checks that each open throws
    /// `expected`, that the file keeps its bytes and that no journal files appear beside it.
    private func expectRefused(
        _ bytes: [UInt8], at path: String, as expected: SQLiteResultCode,
        in directory: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        try writeFile(path, bytes)
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        for options in [SQLiteDatabase.Options(), .init(create: false), .readOnly, .init(walJournal: false)] {
            let error = try #require(openError(path, options) as? SQLiteError, sourceLocation: sourceLocation)
            #expect(error.code.primary == expected, "\(options)", sourceLocation: sourceLocation)
            #expect(error.description.contains(path), sourceLocation: sourceLocation)
            #expect(error.hint != nil, sourceLocation: sourceLocation)
        }
        #expect(try contentsOfFile(path) == bytes, "the file must be left unchanged", sourceLocation: sourceLocation)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing,
                sourceLocation: sourceLocation)
    }

    private func openError(_ path: String, _ options: SQLiteDatabase.Options) -> (any Error)? {
        do {
            _ = try SQLiteDatabase(path: path, options: options)
            return nil
        } catch {
            return error
        }
    }
}
