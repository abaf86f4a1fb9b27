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
    /// The device's own changes that the relay does not have are kept: applied as they are
    /// when they were made with the horizon seen, otherwise re-made on top of the snapshot as
    /// new changes where they can be (field writes, cleared fields, added records, as a
    /// rebase does), and quarantined as `behind_horizon` where they cannot. The document's
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
        var kept: [Change] = []
        var lost: [(Change, String)] = []
        var report = Document.ApplyReport()
        report.applied = compacted.historyIDs
        var remaking = false
        for change in mine {
            // Made with the horizon seen, and nothing before it re-made or lost: it goes as
            // it is (its seq and counters still follow on). Once one is re-made, every later
            // one is, since it was built on the one replaced.
            var seen = change.deps
            seen[identity.replica] = change.seq - 1
            if !remaking, !compacted.isBehindHorizon(seen), change.deps.isIncluded(in: compacted.version) {
                let applied = compacted.apply([change])
                if applied.applied == [change.id] {
                    kept.append(change)
                    continue
                }
            }
            remaking = true
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
        report.applied += kept.map(\.id)
        for (change, reason) in lost {
            try QuarantineRow(deal: deal, document: kind, change: change.id, blob: change.encoded(), code: .behindHorizon,
                              reason: reason, at: now).insert(in: db)
        }
        try OutboxRow.deleteAll(deal: deal, document: kind, replica: identity.replica, from: known + 1, in: db)
        try SnapshotFold.fold(compacted, deal: deal, document: kind, in: db)
        for change in kept {
            try OutboxRow(deal: deal, document: kind, change: change.id, blob: change.encoded(), createdAt: now).insert(in: db)
        }
        // The log's changes after the snapshot, as for any first sync.
        let later = compacted.apply(item.changes.map(\.change))
        report.applied += later.applied
        report.pending = compacted.pendingChanges
        report.refused = later.refused
        if !later.applied.isEmpty || !later.pending.isEmpty { try SnapshotFold.fold(compacted, deal: deal, document: kind, in: db) }
        return (compacted, report)
    }
}
