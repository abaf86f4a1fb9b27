import CRDT
import DealCardKit
import SQLiteKit

/// Folds a document's change rows into a fresh snapshot: the store's one way of writing a
/// snapshot of its own, used every ``DeviceStore/changesPerSnapshot`` changes and by a rebase.
///
/// A snapshot holds only applied changes; a change still waiting for its dependencies is not
/// in it, so its row stays, with the bytes it came in. Every other change row of the document
/// goes, since the snapshot now holds the change.
enum SnapshotFold {
    /// Replaces the document's snapshot with `state`'s and removes the change rows it covers.
    ///
    /// - Complexity: O(document) to encode the snapshot; one statement to clear the rows when
    ///   nothing is pending, else one per row.
    /// - Throws: ``StoreError`` from the rows; call it inside the transaction that wrote the
    ///   changes, so a failure leaves the rows as they were.
    static func fold(_ state: Document, deal: DealID, document: DealDocumentKind, in db: SQLiteDatabase) throws(StoreError) {
        try SnapshotRow(deal: deal, document: document, snapshot: state.encodeSnapshot()).insert(in: db)
        let pending = state.pendingChangeValues
        let kept = Set(pending.map(\.id))
        try StoredChangeRow.deleteAll(deal: deal, document: document, except: kept, in: db)
        guard !pending.isEmpty else { return }
        // Every pending change has a row (it was loaded from one or just written); should one
        // lack it, it gets one now, or it would be lost at the next load.
        let stored = Set(try StoredChangeRow.ids(deal: deal, document: document, in: db))
        for change in pending where !stored.contains(change.id) {
            try StoredChangeRow(deal: deal, document: document, change: change.id, blob: change.encoded()).insert(in: db)
        }
    }
}
