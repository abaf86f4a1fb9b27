import DealCardKit
import SQLiteKit

/// One row of the `deals` table: a deal the store holds, when it was created and last changed,
/// and its summary for listing.
struct DealRow: Equatable {
    var id: DealID
    /// Milliseconds since 1970.
    var createdAt: Int64
    /// Milliseconds since 1970 of the last change written to the deal.
    var updatedAt: Int64
    /// The ``DealSummary`` as JSON; nil until computed (a store from before summaries, or a
    /// deal whose documents came after its row).
    var summary: String?

    /// Stores a new deal.
    ///
    /// - Throws: ``StoreError/dealExists(_:)`` when the store has a deal with this id;
    ///   ``StoreError/database(_:)`` when SQLite refuses the write (a full disk, …).
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run({ _ in .dealExists(id) }) {
            try db.execute("INSERT INTO deals(id, created_at, updated_at, summary) VALUES (?, ?, ?, ?)",
                           arguments: [.text(id.rawValue), .integer(createdAt), .integer(updatedAt), summary.map { .text($0) } ?? .null])
        }
    }

    /// Stores the deal unless the store has it already (a deal first seen in a sync answer);
    /// an existing row is left as it is. Returns whether the row is new.
    ///
    /// - Throws: ``StoreError/database(_:)`` when SQLite refuses the write.
    @discardableResult
    func insertIfMissing(in db: SQLiteDatabase) throws(StoreError) -> Bool {
        try StoreRows.run(StoreRows.refused("deal \(id)")) {
            try db.execute("INSERT OR IGNORE INTO deals(id, created_at, updated_at, summary) VALUES (?, ?, ?, ?)",
                           arguments: [.text(id.rawValue), .integer(createdAt), .integer(updatedAt), summary.map { .text($0) } ?? .null])
            return db.changes > 0
        }
    }

    /// Whether the store has the deal.
    static func exists(_ id: DealID, in db: SQLiteDatabase) throws(StoreError) -> Bool {
        try StoreRows.read { try db.scalar("SELECT 1 FROM deals WHERE id = ?", [.text(id.rawValue)]) != nil }
    }

    /// Every deal, the most recently changed first (ties by id).
    ///
    /// - Throws: ``StoreError/corrupt(_:)`` for a row whose id is not a deal id.
    static func all(in db: SQLiteDatabase) throws(StoreError) -> [DealRow] {
        try StoreRows.read {
            try db.query("SELECT id, created_at, updated_at, summary FROM deals ORDER BY updated_at DESC, id") { row in
                DealRow(id: try StoreRows.deal(row.string(at: 0), in: "deals"), createdAt: row.int64(at: 1), updatedAt: row.int64(at: 2),
                        summary: row.isNull(at: 3) ? nil : row.string(at: 3))
            }
        }
    }

    /// The ids of every deal, in id order.
    ///
    /// - Throws: ``StoreError/corrupt(_:)`` for a row whose id is not a deal id.
    static func ids(in db: SQLiteDatabase) throws(StoreError) -> [DealID] {
        try StoreRows.read {
            try db.query("SELECT id FROM deals ORDER BY id") { try StoreRows.deal($0.string(at: 0), in: "deals") }
        }
    }

    /// Records the deal's summary, computed late (``updatedAt`` stays).
    static func setSummary(_ summary: String, of id: DealID, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the summary of deal \(id)")) {
            try db.execute("UPDATE deals SET summary = ? WHERE id = ?", arguments: [.text(summary), .text(id.rawValue)])
        }
    }

    /// Records that the deal changed at `updatedAt`, with its new summary.
    static func touch(_ id: DealID, updatedAt: Int64, summary: String, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the summary of deal \(id)")) {
            try db.execute("UPDATE deals SET updated_at = ?, summary = ? WHERE id = ?",
                           arguments: [.integer(updatedAt), .text(summary), .text(id.rawValue)])
        }
    }

    /// Removes the deal's row; its documents' rows must be gone first (they refer to it).
    static func delete(_ id: DealID, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of deal \(id) (its documents must be removed first)")) {
            try db.execute("DELETE FROM deals WHERE id = ?", arguments: [.text(id.rawValue)])
        }
    }
}
