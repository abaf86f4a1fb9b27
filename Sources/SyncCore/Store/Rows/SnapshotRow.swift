import DealCardKit
import SQLiteKit

/// One row of the `documents` table: a deal document the store holds, with the snapshot its
/// change rows (``StoredChangeRow``) continue.
///
/// The row's presence is what makes the document exist; a NULL snapshot means every change of
/// the document is a change row. The snapshot is a snapshot blob (`protocol-spec/encoding.md`)
/// as ``Document/encodeSnapshot()`` or a relay wrote it, loaded with ``Document/init(snapshot:replica:)``.
struct SnapshotRow: Equatable {
    var deal: DealID
    var document: DealDocumentKind
    /// The document's snapshot blob, or nil before the first fold.
    var snapshot: [UInt8]?

    /// Stores the document's row, replacing the snapshot of one already there.
    ///
    /// - Throws: ``StoreError/noSuchDeal(_:)`` when the store has no row for the deal (a
    ///   document belongs to a deal); ``StoreError/database(_:)`` when SQLite refuses the write.
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(refusal) {
            try db.execute("""
                INSERT INTO documents(deal_id, document, snapshot) VALUES (?, ?, ?)
                ON CONFLICT(deal_id, document) DO UPDATE SET snapshot = excluded.snapshot
                """, arguments: [.text(deal.rawValue), .text(document.rawValue), snapshot.map { .blob($0) } ?? .null])
        }
    }

    /// Stores a row without a snapshot for the document unless it has one: the document exists
    /// from now on, and a snapshot already there stays.
    ///
    /// - Throws: as ``insert(in:)``.
    static func insertIfMissing(deal: DealID, document: DealDocumentKind, in db: SQLiteDatabase) throws(StoreError) {
        let row = SnapshotRow(deal: deal, document: document, snapshot: nil)
        try StoreRows.run(row.refusal) {
            try db.execute("INSERT OR IGNORE INTO documents(deal_id, document, snapshot) VALUES (?, ?, NULL)",
                           arguments: [.text(deal.rawValue), .text(document.rawValue)])
        }
    }

    /// The document's row, or nil when the store does not have the document.
    static func find(deal: DealID, document: DealDocumentKind, in db: SQLiteDatabase) throws(StoreError) -> SnapshotRow? {
        try StoreRows.read {
            try db.query("SELECT snapshot FROM documents WHERE deal_id = ? AND document = ?", [.text(deal.rawValue), .text(document.rawValue)]) { row in
                SnapshotRow(deal: deal, document: document, snapshot: row.isNull(at: 0) ? nil : row.blob(at: 0))
            }.first
        }
    }

    /// Removes the rows of every document of the deal.
    static func deleteAll(of deal: DealID, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of the documents of deal \(deal)")) {
            try db.execute("DELETE FROM documents WHERE deal_id = ?", arguments: [.text(deal.rawValue)])
        }
    }

    /// A document names its deal (`REFERENCES deals(id)`); any other refusal is a bug.
    private func refusal(_ error: SQLiteError) -> StoreError {
        SQLiteError.constraintForeignKey ~= error.code ? .noSuchDeal(deal) : StoreRows.refused("the \(document.rawValue) document of deal \(deal)")(error)
    }
}
