import CRDT
import DealCardKit
import SQLiteKit
import SyncProtocol

/// One row of the `outbox` table: a local change waiting for the relay's acknowledgement, in
/// the bytes it is pushed in.
///
/// Rows are read oldest first (by their autoincrement id), which is the order the changes
/// were made, so a document's changes reach the relay in causal order.
struct OutboxRow: Equatable {
    var deal: DealID
    var document: DealDocumentKind
    var change: ChangeID
    /// The change blob that is pushed.
    var blob: [UInt8]
    /// Milliseconds since 1970 when the change was made.
    var createdAt: Int64

    /// The item as the sync reads it.
    var item: OutboxItem {
        OutboxItem(ref: ChangeRef(deal: deal, document: document, change: change), blob: blob, createdAt: createdAt)
    }

    /// Puts the change in the outbox unless it waits there already (the row stays as it was).
    ///
    /// - Throws: ``StoreError/database(_:)`` when SQLite refuses the write (a full disk, …).
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("outbox item \(change) of \(deal)/\(document.rawValue)")) {
            try db.execute("INSERT OR IGNORE INTO outbox(deal_id, document, replica, seq, blob, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [.text(deal.rawValue), .text(document.rawValue), .replica(change.replica), .seq(change.seq),
                                       .blob(blob), .integer(createdAt)])
        }
    }

    /// The oldest `limit` items.
    ///
    /// - Throws: ``StoreError/corrupt(_:)`` for a row whose deal id or document document does not read.
    static func oldest(limit: Int, in db: SQLiteDatabase) throws(StoreError) -> [OutboxRow] {
        try StoreRows.read {
            try db.query("SELECT deal_id, document, replica, seq, blob, created_at FROM outbox ORDER BY id LIMIT ?", [.integer(Int64(limit))]) { row in
                OutboxRow(deal: try StoreRows.deal(row.string(at: 0), in: "outbox"), document: try StoreRows.documentKind(row.string(at: 1), in: "outbox"),
                          change: row.changeID(at: 2), blob: row.blob(at: 4), createdAt: row.int64(at: 5))
            }
        }
    }

    /// How many items wait.
    static func count(in db: SQLiteDatabase) throws(StoreError) -> Int {
        try StoreRows.read { Int(try db.scalar("SELECT count(*) FROM outbox")?.int64 ?? 0) }
    }

    /// Removes the item of one change, if it waits.
    static func delete(deal: DealID, document: DealDocumentKind, change: ChangeID, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of outbox item \(change)")) {
            try db.execute("DELETE FROM outbox WHERE deal_id = ? AND document = ? AND replica = ? AND seq = ?",
                           arguments: [.text(deal.rawValue), .text(document.rawValue), .replica(change.replica), .seq(change.seq)])
        }
    }

    /// Removes the document's items of `replica` from seq `first` on (the changes a rebase
    /// drops).
    static func deleteAll(deal: DealID, document: DealDocumentKind, replica: ReplicaID, from first: UInt64, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of outbox items of \(deal)/\(document.rawValue)")) {
            try db.execute("DELETE FROM outbox WHERE deal_id = ? AND document = ? AND replica = ? AND seq >= ?",
                           arguments: [.text(deal.rawValue), .text(document.rawValue), .replica(replica), .seq(first)])
        }
    }

    /// Removes the items of every document of the deal.
    static func deleteAll(of deal: DealID, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of the outbox items of deal \(deal)")) {
            try db.execute("DELETE FROM outbox WHERE deal_id = ?", arguments: [.text(deal.rawValue)])
        }
    }
}
