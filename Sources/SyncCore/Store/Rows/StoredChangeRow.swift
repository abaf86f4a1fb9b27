import CRDT
import DealCardKit
import SQLiteKit

/// One row of the `changes` table: a change of a deal document kept after the document's
/// snapshot (``SnapshotRow``), in the bytes it was made or received in.
///
/// A change's id names its content, so a second row for the same id is never written: the
/// bytes stored first stay. The bytes are a change blob (`protocol-spec/encoding.md`), not
/// necessarily the canonical one ``Change/encoded()`` writes: a change from a relay is kept as
/// the relay sent it.
struct StoredChangeRow: Equatable {
    var deal: DealID
    var document: DealDocumentKind
    var change: ChangeID
    var blob: [UInt8]

    /// Stores the change unless the document already has a row for its id.
    ///
    /// - Throws: ``StoreError/database(_:)`` when SQLite refuses the write (a full disk, …).
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("change \(change) of \(deal)/\(document.rawValue)")) {
            try db.execute("INSERT OR IGNORE INTO changes(deal_id, document, replica, seq, blob) VALUES (?, ?, ?, ?, ?)",
                           arguments: [.text(deal.rawValue), .text(document.rawValue), .replica(change.replica), .seq(change.seq), .blob(blob)])
        }
    }

    /// The document's change rows in the order they were written (which the document's
    /// loading replays).
    static func all(deal: DealID, document: DealDocumentKind, in db: SQLiteDatabase) throws(StoreError) -> [StoredChangeRow] {
        try StoreRows.read {
            try db.query("SELECT replica, seq, blob FROM changes WHERE deal_id = ? AND document = ? ORDER BY rowid",
                         [.text(deal.rawValue), .text(document.rawValue)]) { row in
                StoredChangeRow(deal: deal, document: document, change: row.changeID(at: 0), blob: row.blob(at: 2))
            }
        }
    }

    /// The ids of the document's change rows, in the order they were written.
    static func ids(deal: DealID, document: DealDocumentKind, in db: SQLiteDatabase) throws(StoreError) -> [ChangeID] {
        try StoreRows.read {
            try db.query("SELECT replica, seq FROM changes WHERE deal_id = ? AND document = ? ORDER BY rowid",
                         [.text(deal.rawValue), .text(document.rawValue)]) { $0.changeID(at: 0) }
        }
    }

    /// How many change rows the document has.
    static func count(deal: DealID, document: DealDocumentKind, in db: SQLiteDatabase) throws(StoreError) -> Int {
        try StoreRows.read {
            Int(try db.scalar("SELECT count(*) FROM changes WHERE deal_id = ? AND document = ?", [.text(deal.rawValue), .text(document.rawValue)])?.int64 ?? 0)
        }
    }

    /// Removes the document's change rows but those of `kept`.
    ///
    /// - Complexity: one statement when nothing is kept; otherwise one per row removed.
    static func deleteAll(deal: DealID, document: DealDocumentKind, except kept: Set<ChangeID> = [], in db: SQLiteDatabase) throws(StoreError) {
        if kept.isEmpty {
            try StoreRows.run(StoreRows.refused("the removal of the change rows of \(deal)/\(document.rawValue)")) {
                try db.execute("DELETE FROM changes WHERE deal_id = ? AND document = ?", arguments: [.text(deal.rawValue), .text(document.rawValue)])
            }
            return
        }
        for id in try ids(deal: deal, document: document, in: db) where !kept.contains(id) {
            try StoreRows.run(StoreRows.refused("the removal of change \(id) of \(deal)/\(document.rawValue)")) {
                try db.execute("DELETE FROM changes WHERE deal_id = ? AND document = ? AND replica = ? AND seq = ?",
                               arguments: [.text(deal.rawValue), .text(document.rawValue), .replica(id.replica), .seq(id.seq)])
            }
        }
    }

    /// Removes the change rows of every document of the deal.
    static func deleteAll(of deal: DealID, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of the change rows of deal \(deal)")) {
            try db.execute("DELETE FROM changes WHERE deal_id = ?", arguments: [.text(deal.rawValue)])
        }
    }
}
