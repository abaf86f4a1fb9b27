import CRDT
import DealCardKit
import SyncProtocol
import Foundation

extension Relay {
    /// Carries out, in order, the actions a ``SyncProtocol/SyncRound`` returned for an upstream
    /// answer (or for `409 cursor_ahead`), against this relay's storage:
    ///
    /// - `acknowledge`: the upstream has these pushed entries;
    /// - `quarantine` (and `rebase`, which a relay cannot do: the changes are other people's):
    ///   refused upstream, kept in this relay's quarantine with the upstream's reason and an
    ///   `upstream_refused` line in the log, for an operator; not pushed again;
    /// - `apply`: appended to this relay's log (``appendFromUpstream(_:log:at:)``);
    /// - `setCursor`: the pushed and pulled positions saved together, last, so a cut before
    ///   it only repeats work that is idempotent;
    /// - `resetCursor`: the upstream's data was replaced; start over (``UpstreamPosition/restart(sentFrom:)``).
    ///
    /// - Parameter firstSyncPage: the round's first-sync page after the answer, saved with
    ///   the cursor.
    /// - Returns: how many changes were appended to the log.
    @discardableResult
    func performUpstream(_ actions: [SyncRound.Action], of exchange: UpstreamExchange,
                         firstSyncPage: SyncRound.FirstSyncPage? = nil) throws -> Int {
        let now = Date()
        var answered: Set<ChangeRef> = []
        var appended = 0
        var position = try storage.upstreamPosition(upstream: exchange.upstream) ?? .start
        for action in actions {
            switch action {
            case .acknowledge(let refs):
                answered.formUnion(refs)
            case .quarantine(let item, let refusal):
                try quarantineRefusedUpstream(refusal, blob: item.blob, exchange, at: now)
                answered.insert(item.ref)
            case .rebase(let refusal, let pushed):
                try quarantineRefusedUpstream(refusal, blob: pushed ?? [], exchange, at: now)
                answered.insert(refusal.ref)
            case .apply(let groups):
                appended += try appendFromUpstream(groups, log: exchange.log, at: now)
            case .setCursor(let cursor):
                if let through = exchange.outbox.pushedThrough(answered: answered) {
                    position.pushed(through: through, sentFrom: exchange.sentFrom)
                }
                position.pulled(to: cursor, firstSyncPage: firstSyncPage, sentFrom: exchange.sentFrom)
                try storage.saveUpstreamPosition(position, upstream: exchange.upstream)
                for key in exchange.outbox.upstreamKeys(through: position.pushedThrough) { sync.fromUpstream.remove(key) }
            case .recordFirstSync, .fetchAnswered:
                // A relay token's first sync has no window, and this relay fetches nothing.
                break
            case .resetCursor:
                if position.restart(sentFrom: exchange.sentFrom) {
                    try storage.saveUpstreamPosition(position, upstream: exchange.upstream)
                    // The replaced upstream may lack what came from the old one too: push it all.
                    sync.fromUpstream.removeAll()
                }
            }
        }
        return appended
    }

    /// Files a deal this relay has not seen under `dealership`, its buyer and creator taken
    /// from the first change that arrives of it (a compacted document may bring none).
    private func registerDeal(_ deal: DealID, dealership: String, firstChange change: Change?, at now: Date) throws {
        guard try storage.deal(dealership: dealership, id: deal) == nil else { return }
        let author = change.flatMap { DealCardKit.ChangeAuthor(metadata: $0.metadata) }
        try storage.insertDeal(DealRecord(id: deal, dealership: dealership, buyerUser: author?.role == .buyer ? author?.user : nil,
                                          createdAt: now, createdBy: author?.user ?? "upstream"))
    }

    /// Keeps a change this relay accepted and the upstream refused, and says so in the log.
    private func quarantineRefusedUpstream(_ refusal: RefusedChange, blob: [UInt8], _ exchange: UpstreamExchange, at now: Date) throws {
        let reason = "refused upstream: \(refusal.code): \(refusal.reason)"
        try storage.insertQuarantine(QuarantineEntry(
            deal: refusal.ref.deal, document: refusal.ref.document, replica: refusal.ref.changeID?.replica ?? ReplicaID(0),
            changeSequence: refusal.ref.seq, blob: blob, senderUser: "upstream", senderDevice: exchange.upstream,
            reason: reason, quarantinedAt: now))
        exchange.log.log("upstream_refused", [
            "upstream": .string(exchange.upstream), "change": .string(refusal.ref.description), "code": .string(refusal.code.rawValue),
            "reason": .string(refusal.reason),
        ], at: now)
    }

    /// Appends the upstream's changes this relay lacks to its own log (trusted: the upstream
    /// validated them), filing new deals under the upstream token's dealership, then wakes
    /// local long-polls. A change the engine refuses is quarantined, never logged (it would
    /// poison this relay's copy of the deal), with an `upstream_change_refused` line.
    ///
    /// - Returns: how many changes were appended.
    /// - Throws: storage errors; then nothing of `groups` is in the log and the documents
    ///   they touched are dropped from memory (they are rebuilt from the log when needed).
    func appendFromUpstream(_ groups: [ReceivedChanges], log: RelayLog, at now: Date) throws -> Int {
        // Pushes still waiting for their group commit are in the documents in memory: commit
        // them first, so nothing here reads or builds on a change that is not stored yet.
        flushGroupCommit()
        guard let dealership = sync.upstreamDealership else {
            preconditionFailure("upstream changes applied before the upstream token's dealership is known")
        }
        var entries: [NewLogEntry] = []
        var touched: Set<RelaySyncState.DocumentKey> = []
        var adopted: [RelaySyncState.DocumentKey] = []
        do {
            for group in groups {
                let deal = group.deal
                // A snapshot's changes come without bytes of their own (canonical encoding);
                // the log's are kept as the upstream sent them. A compacted document this
                // relay is behind is taken whole instead, and only the log's changes follow.
                var received = group.changes
                if let snapshot = group.snapshot, snapshot.formatVersion >= 2 {
                    let upstream = try Document(snapshot: snapshot.blob, replica: sync.replica)
                    // A compacted document keeps the change that created it (``compact(receivedBefore:now:)``).
                    let creation = upstream.retainedChanges.first { $0.startOp == 1 } ?? upstream.history.first
                    try registerDeal(deal, dealership: dealership, firstChange: creation, at: now)
                    if try adoptUpstreamBase(upstream, blob: snapshot.blob, dealership: dealership, deal: deal, kind: group.document,
                                             log: log, at: now) {
                        adopted.append(RelaySyncState.DocumentKey(dealership: dealership, deal: deal, document: group.document))
                    } else {
                        received = upstream.history.map(EncodedChange.init) + group.changes
                    }
                } else if let snapshot = group.snapshot {
                    let changes = try snapshot.changes
                    try registerDeal(deal, dealership: dealership, firstChange: changes.first, at: now)
                    received = changes.map(EncodedChange.init) + group.changes
                }
                for item in received {
                    let change = item.change
                    let author = DealCardKit.ChangeAuthor(metadata: change.metadata)
                    try registerDeal(deal, dealership: dealership, firstChange: change, at: now)
                    let document = try self.document(dealership, deal, group.document)
                    guard change.seq > document.version[change.replica], !document.pendingChanges.contains(change.id) else { continue }
                    let blob = item.blob
                    if let failure = document.apply([change]).refused.first {
                        try storage.insertQuarantine(QuarantineEntry(
                            deal: deal, document: group.document, replica: change.replica, changeSequence: change.seq, blob: blob,
                            senderUser: "upstream", senderDevice: "upstream", reason: "refused from upstream: \(failure)", quarantinedAt: now))
                        log.log("upstream_change_refused", [
                            "change": .string(ChangeRef(deal: group.deal, document: group.document, change: change.id).description),
                            "reason": .string("\(failure)"),
                        ], at: now)
                        continue
                    }
                    touched.insert(RelaySyncState.DocumentKey(dealership: dealership, deal: deal, document: group.document))
                    let entry = NewLogEntry(
                        dealership: dealership, deal: deal, document: group.document, replica: change.replica,
                        changeSequence: change.seq, blob: blob,
                        author: LogAuthor(user: author?.user ?? "upstream", role: author?.role ?? .integration,
                                          device: author?.device ?? "upstream", channel: author?.channel ?? .integration),
                        receivedAt: now)
                    entries.append(entry)
                    sync.fromUpstream.insert(UpstreamOutbox.key(entry))
                }
            }
            if !entries.isEmpty {
                // The analytics rows of the deals they change, in the same transaction.
                let rows = try Set(entries.map(\.deal)).sorted().map { try analyticsRow(dealership, $0) }
                _ = try storage.appendChanges(entries, analytics: rows)
                announce(entries.map { RelaySyncState.DocumentKey(dealership: $0.dealership, deal: $0.deal, document: $0.document) })
            }
            if !adopted.isEmpty {
                let appended = Set(entries.map(\.deal))
                let rows = try Set(adopted.map(\.deal)).subtracting(appended).sorted().map { try analyticsRow(dealership, $0) }
                if !rows.isEmpty { try storage.saveAnalyticsRows(rows) }
                // Long-polls that may read an adopted document are answered now, with
                // `history_compacted` (``answerLongPolls()``); the others when they next wake.
                announce(adopted)
            }
        } catch {
            // Memory must match the log: forget what this batch touched, whatever failed.
            for key in touched { sync.cache.remove(key) }
            for entry in entries { sync.fromUpstream.remove(UpstreamOutbox.key(entry)) }
            throw error
        }
        return entries.count
    }
}
