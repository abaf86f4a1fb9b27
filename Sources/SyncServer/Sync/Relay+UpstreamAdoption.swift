import CRDT
import DealCardKit
import Foundation
import SyncProtocol

extension Relay {
    /// Takes an upstream relay's compacted document as this relay's own, when this relay's
    /// copy is behind its horizon (protocol-spec/sync.md, "A showroom relay and an upstream
    /// that compacted"): the changes it lacks are gone from the upstream's log, so they can
    /// never arrive one by one, and the upstream's later changes could never be applied here.
    ///
    /// The shallow snapshot becomes the document's base. Log entries it holds are deleted.
    /// The other entries (this relay's own, not yet upstream) were made without changes the
    /// base holds (this relay never had them), so the engine refuses them on top: they go to
    /// the quarantine with the reason (`upstream_base_refused` in the log), and their devices,
    /// told to sync again from 0 (``RelayStorage/adopt(_:removing:quarantine:)`` moves the
    /// compacted position), find their document behind the horizon and re-make those edits
    /// on top as new changes. An entry the engine would accept on top stays in the log.
    ///
    /// - Parameters:
    ///   - upstream: the document loaded from `blob`, the snapshot as received; when it is
    ///     taken, this relay's entries are applied to it.
    /// - Returns: false when the snapshot is not shallow or this relay's copy is not behind
    ///   it (the ordinary merge applies: its changes are appended as any others).
    /// - Throws: storage errors.
    func adoptUpstreamBase(_ upstream: Document, blob: [UInt8], dealership: String, deal: DealID, kind: DealDocumentKind,
                           log: RelayLog, at now: Date) throws -> Bool {
        guard !upstream.horizon.isEmpty else { return false }
        let key = RelaySyncState.DocumentKey(dealership: dealership, deal: deal, document: kind)
        let local = try document(dealership, deal, kind)
        guard upstream.isBehindHorizon(local.version) else { return false }
        let records = try storage.changes(dealership: dealership, deal: deal, document: kind)
        var held: [LogRecord] = []
        var rest: [LogRecord] = []
        for record in records {
            if record.entry.changeSequence <= upstream.version[record.entry.replica] { held.append(record) } else { rest.append(record) }
        }
        // What stays is what applies on top of the upstream's state (the same rule a load applies).
        let onTop = upstream.applyStored(rest.map(\.entry.blob))
        var lost = onTop.unloadable.map { (rest[$0.position], $0.reason) }
        for id in onTop.report.pending {
            if let position = onTop.positions[id] { lost.append((rest[position], "it depends on a change that cannot be applied on top")) }
        }
        let previous = try storage.documentBase(dealership: dealership, deal: deal, document: kind)
        let removed = held + lost.map(\.0)
        let through = max(previous?.through ?? .start, removed.map(\.position).max() ?? .start)
        let quarantine = lost.map { record, reason in
            QuarantineEntry(deal: deal, document: kind, replica: record.entry.replica, changeSequence: record.entry.changeSequence,
                            blob: record.entry.blob, senderUser: record.entry.author.user, senderDevice: record.entry.author.device,
                            reason: "made on a state from before the upstream relay compacted the deal's history, so it cannot be applied on "
                                + "top of the upstream's document (\(reason)); its device re-makes it after its next sync",
                            quarantinedAt: now)
        }
        let base = DocumentBase(dealership: dealership, deal: deal, document: kind, through: through, snapshot: blob,
                                horizon: upstream.version, compactedAt: now)
        sync.cache.remove(key)
        sync.compactedThrough = max(sync.compactedThrough, try storage.adopt(base, removing: removed.map(\.position), quarantine: quarantine))
        log.log("upstream_base_adopted", [
            "deal": .string(deal.rawValue), "document": .string(kind.rawValue), "entries_held": .integer(Int64(held.count)),
            "entries_kept": .integer(Int64(rest.count - lost.count)), "entries_refused": .integer(Int64(lost.count)),
        ], at: now)
        for (record, reason) in lost {
            log.log("upstream_base_refused", [
                "change": .string(ChangeRef(deal: deal, document: kind, change: ChangeID(replica: record.entry.replica, seq: record.entry.changeSequence)).description),
                "reason": .string(reason),
            ], at: now)
        }
        return true
    }
}
