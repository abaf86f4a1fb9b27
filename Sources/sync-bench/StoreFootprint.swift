import Foundation
import SQLiteKit

/// A closed SQLite store's size on disk after a checkpoint, for the relay suite's bytes per
/// deal and per change.
///
/// The store is opened again (without its lock: its owner has closed it), its write-ahead
/// log checkpointed into the database and truncated, and the two files measured: what the
/// store costs on disk once it is at rest (`-shm` is an index of the log, not data).
struct StoreFootprint {
    /// Bytes of the database file plus its write-ahead log, after the checkpoint.
    var bytes: Int
    /// Of which free pages (space SQLite keeps for reuse).
    var freeBytes: Int
    /// Bytes by table and index (SQLite's `dbstat`), largest first; empty when the library
    /// was built without it.
    var byObject: [(name: String, bytes: Int)]

    /// Measures the store at `path`.
    init(path: String) throws {
        let database = try SQLiteDatabase(path: path, options: .init(create: false))
        defer { database.close() }
        try database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        let pageSize = Int(try database.scalar("PRAGMA page_size")?.int64 ?? 0)
        freeBytes = Int(try database.scalar("PRAGMA freelist_count")?.int64 ?? 0) * pageSize
        byObject = (try? database.query("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC") {
            (name: $0.string(at: 0), bytes: Int($0.int64(at: 1)))
        }) ?? []
        bytes = Self.fileSize(path) + Self.fileSize(path + "-wal")
    }

    /// The count `sql` (a `SELECT count(*)`) reads from the store at `path`, with the store
    /// at `other` attached as `schema` when given.
    static func count(_ sql: String, in path: String, attaching other: String? = nil, as schema: String = "other") throws -> Int {
        let database = try SQLiteDatabase(path: path, options: .readOnly)
        defer { database.close() }
        if let other { try database.execute("ATTACH DATABASE ? AS \(schema)", arguments: [.text(other)]) }
        return Int(try database.scalar(sql)?.int64 ?? 0)
    }

    /// The objects above `share` of the whole, as `name: KiB` for a report.
    func largest(share: Double = 0.02) -> [String: Double] {
        var fields: [String: Double] = [:]
        for (name, size) in byObject where Double(size) >= share * Double(max(bytes, 1)) {
            fields[name] = round2(Double(size) / 1_024)
        }
        return fields
    }

    private static func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
