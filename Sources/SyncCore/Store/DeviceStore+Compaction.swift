import CRDT
import DealCardKit
import Foundation
import SQLiteKit
import SyncProtocol

extension DeviceStore {
    /// Takes a received snapshot in place of `local` when the relay compacted the document's
    /// history past what this device holds (the snapshot is shallow and `local` is behind its
    /// horizon, protocol-spec/sync.md "Compaction"): the changes the device lacks are gone,
    /// so they can never arrive one by one.
    ///
    /// The device's own changes that the relay does not have are kept: re-made on top of the
    /// snapshot as new changes where they can be (field writes, cleared fields, added
    /// records, as a rebase does), and quarantined as `behind_horizon` where they cannot. The document's
    /// rows become the new state's snapshot, and the outbox holds the changes to push.
    ///
    /// - Returns: nil when the snapshot is not shallow or `local` is not behind it (the
    ///   ordinary merge applies).
    func adoptIfBehind(_ item: ReceivedChanges, over local: Document, now: Int64, in db: SQLiteDatabase) throws
        -> (document: Document, report: Document.ApplyReport)? {
        guard let snapshot = item.snapshot, snapshot.formatVersion >= 2, local.hasChanges || !local.pendingChanges.isEmpty,
              let compacted = try? Document(snapshot: snapshot.blob, replica: identity.replica),
              !compacted.horizon.isEmpty, compacted.isBehindHorizon(local.version)
        else { return nil }
        let (deal, kind) = (item.deal, item.document)
        let known = compacted.version[identity.replica]
        let mine = local.history.filter { $0.replica == identity.replica && $0.seq > known }.sorted { $0.seq < $1.seq }
        // Every one of them was made on a state behind the horizon (the document still is), so
        // none can go as it is: each is re-made on top of the snapshot, in order.
        var kept: [Change] = []
        var lost: [(Change, String)] = []
        for change in mine {
            guard let edits = remakeableEdits(of: change, in: local) else {
                lost.append((change, "made before the relay compacted the deal's history, and it cannot be re-made on top of the compacted document"))
                continue
            }
            do {
                if let new = try compacted.change(metadata: change.metadata, { tx in try edits(compacted, tx) }) { kept.append(new) }
            } catch {
                lost.append((change, "made before the relay compacted the deal's history; re-making it failed: \(error)"))
            }
        }
        // The log's changes after the snapshot, as for any first sync.
        let later = compacted.apply(item.changes.map(\.change))
        // Everything the document now holds came with this answer: the snapshot's history, the
        // edits re-made on it, the log's changes.
        var report = later
        report.applied = compacted.historyIDs
        for (change, reason) in lost {
            try QuarantineRow(deal: deal, document: kind, change: change.id, blob: change.encoded(), code: .behindHorizon,
                              reason: reason, at: now).insert(in: db)
        }
        try OutboxRow.deleteAll(deal: deal, document: kind, replica: identity.replica, from: known + 1, in: db)
        try SnapshotFold.fold(compacted, deal: deal, document: kind, in: db)
        for change in kept {
            try OutboxRow(deal: deal, document: kind, change: change.id, blob: change.encoded(), createdAt: now).insert(in: db)
        }
        return (compacted, report)
    }
}
