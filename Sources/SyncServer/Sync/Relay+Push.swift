import CRDT
import Foundation
import SyncCore

extension Relay {
    /// The refusal of a deal the token cannot reach: the same words whether the deal is
    /// hidden from it or does not exist, so that no answer tells another tenant's id exists.
    static func unknownDealReason(_ deal: DealID) -> String {
        "no deal \(deal) is visible to this token, and it may not create one with this change"
    }

    /// Time one request may hold the relay actor for its push, and again for a first sync's
    /// snapshots: past it the remaining items are left for the next round (one item is
    /// always done), so that no request holds the others for long.
    static let timeBudget = Duration.milliseconds(250)

    /// Validates each decoded push item; appends the accepted ones to the log in one
    /// transaction. Checks run in the order of protocol-spec/sync.md; the first failure
    /// refuses the item. Items past ``timeBudget`` are left out of the answer, to be sent again.
    func push(_ pushed: DecodedPush, token: TokenRecord) throws -> ([ChangeRef], [RefusedChange]) {
        var accepted: [ChangeRef] = []
        var refused: [RefusedChange] = []
        var entries: [NewLogEntry] = []
        var touched: Set<RelaySyncState.DocumentKey> = []
        var newDeals: [String: DealRecord] = [:]
        let validator = ChangeValidator(schema: sync.schema)
        let budget = sync.budget
        let now = Date()
        let started = ContinuousClock.now
        do {
        for (position, item) in pushed.items.enumerated() {
            if position > 0 && ContinuousClock.now - started > Relay.timeBudget { break }
            guard case .success(let change) = item.change, let bytes = item.bytes else {
                var problem = "not base64"
                if case .failure(let failure) = item.change { problem = failure.message }
                var refusal = RefusedChange(ref: ChangeRef(deal: item.pushed.deal, document: item.pushed.document, change: ChangeID(replica: ReplicaID(1), seq: 0)),
                                            code: "malformed", path: nil, reason: "push item \(item.index) is not a valid change blob: \(problem)")
                refusal.index = item.index
                refused.append(refusal)
                continue
            }
            let deal = item.pushed.deal
            let kind = item.pushed.document
            let ref = ChangeRef(deal: deal, document: kind, change: change.id)
            func refuse(_ code: String, _ path: String?, _ reason: String, quarantine: Bool = true) throws {
                refused.append(RefusedChange(ref: ref, code: code, path: path, reason: reason))
                metrics.changesRefused.increment()
                if quarantine {
                    try storage.insertQuarantine(QuarantineEntry(
                        deal: deal.rawValue, document: kind, replica: change.replica.rawValue, changeSequence: change.seq,
                        blob: bytes, senderUser: token.user, senderDevice: token.device ?? "user:" + token.user,
                        reason: "\(code): \(path.map { "\($0): " } ?? "")\(reason)", quarantinedAt: now))
                }
            }
            // Size first: nothing else is worth doing for a change over budget.
            do {
                try budget.check(change, encodedBytes: bytes.count)
            } catch {
                try refuse(error.code, error.path, error.reason)
                continue
            }
            // Who the change is checked as: the token's user and role, or, for a relay token
            // forwarding its devices' changes, the change's own author (validated downstream).
            let claimed = SyncCore.ChangeAuthor(metadata: change.metadata)
            if token.isRelay && claimed == nil {
                try refuse("forged_author", nil, "a forwarded change must carry its author")
                continue
            }
            let actingRole = token.isRelay ? claimed!.role : token.role
            let actingUser = token.isRelay ? claimed!.user : token.user
            // The deal: known and visible, or new and creatable by this author.
            if let record = try newDeals[deal.rawValue] ?? storage.deal(dealership: token.dealership, id: deal.rawValue) {
                guard canSee(record, token), sync.schema.canRead(role: actingRole, document: kind) else {
                    try refuse("unknown_deal", nil, Relay.unknownDealReason(deal), quarantine: false)
                    continue
                }
            } else {
                let creators: Set<Role> = [.buyer, .sales, .head, .integration]
                guard kind == .shared, creators.contains(actingRole), token.deal == nil || token.deal == deal.rawValue else {
                    try refuse("unknown_deal", nil, Relay.unknownDealReason(deal), quarantine: false)
                    continue
                }
                // Registered only once one of its changes is accepted (below), so a refused push
                // cannot claim a deal id.
                newDeals[deal.rawValue] = DealRecord(id: deal.rawValue, dealership: token.dealership,
                                                     buyerUser: actingRole == .buyer ? actingUser : nil, createdAt: now, createdBy: actingUser)
            }
            // The replica belongs to one user on one device, as the change names them (checked
            // against the token by validateAuthor below, or downstream for a relay): the same
            // binding whether a device syncs directly or through a showroom relay.
            let device = claimed?.device ?? token.device ?? ""
            let binding = try storage.bindReplica(change.replica.rawValue, device: device, user: actingUser)
            guard binding.allows(user: actingUser, device: device) else {
                try refuse("impersonation", nil, "replica \(change.replica) belongs to another device")
                continue
            }
            if !token.isRelay {
                do {
                    try validator.validateAuthor(change, user: token.user, role: token.role, device: token.device)
                } catch {
                    try refuse(error.code, error.path, error.reason)
                    continue
                }
            }
            let key = RelaySyncState.DocumentKey(dealership: token.dealership, deal: deal.rawValue, kind: kind)
            let entry = try documentEntry(token.dealership, deal.rawValue, kind)
            let document = entry.document
            if change.seq <= document.version[change.replica] {
                // Already stored: a retried push, acknowledged again when it is the same change
                // (compared as decoded, so an encoder's optional choices do not matter), and
                // refused when it is other content under the same id.
                if let stored = document.change(change.id), stored != change {
                    try refuse("conflicting_change", nil, "change \(change.id) is already stored with other content")
                } else {
                    accepted.append(ref)
                }
                continue
            }
            guard change.seq == document.version[change.replica] + 1, change.deps.isIncluded(in: document.version) else {
                try refuse("missing_dependency", nil, "the change depends on a change the relay does not have (refused, or not pushed yet)", quarantine: false)
                continue
            }
            if let required = document.requiredStartOp(for: change), change.startOp != required {
                try refuse("counter_jump", nil, "the change's first op counter is \(change.startOp); after the changes it depends on it must be \(required) (Lamport rule)")
                continue
            }
            do {
                try budget.checkDocument(storedBytes: entry.storedBytes, maxCounter: document.maxCounter, adding: change, encodedBytes: bytes.count)
                try validator.validate(change, role: actingRole, kind: kind, in: document)
            } catch {
                try refuse(error.code, error.path, error.reason)
                continue
            }
            let report = document.apply([change])
            if let failure = report.refused.first {
                try refuse("malformed", nil, "\(failure)")
                continue
            }
            touched.insert(key)
            entry.storedBytes += bytes.count
            accepted.append(ref)
            if let record = newDeals.removeValue(forKey: deal.rawValue) {
                try storage.insertDeal(record)
            }
            let author = claimed!
            entries.append(NewLogEntry(dealership: token.dealership, deal: deal.rawValue, document: kind, replica: change.replica.rawValue,
                                       changeSequence: change.seq, blob: bytes,
                                       author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel),
                                       receivedAt: now))
        }
        if !entries.isEmpty {
            _ = try storage.appendChanges(entries)
            metrics.changesAccepted.increment(by: Double(entries.count))
            announce()
        }
        } catch {
            // Memory must match the log: forget every document this batch touched, whatever
            // failed (the append, or a storage call for a later change).
            for key in touched { sync.cache.remove(key) }
            throw error
        }
        return (accepted, refused)
    }
}
