import CRDT
import DealCardKit
import SyncProtocol
import Foundation

/// What the relay should do with one push, decided from the decoded items, the token and
/// the stored facts it needs, before anything is written.
///
/// The decision applies each accepted change to its document (later items of the push are
/// checked against the document as the earlier ones leave it), and returns everything to
/// commit: the log entries, the refusals and what of them to quarantine, the replica
/// bindings and deals to create, and the analytics rows of the deals it changes.
/// ``RelayStorage/commitPush(_:)`` then commits all of it in one transaction. It does no I/O
/// of its own: the facts come through ``Facts``, and time through `isOverTime`.
struct PushDecision {
    /// What the decision reads: stored deals and bindings, and the deal documents.
    struct Facts {
        /// The stored deal of the token's dealership with this id.
        var deal: (DealID) throws -> DealRecord?
        /// The stored binding of a replica.
        var binding: (ReplicaID) throws -> ReplicaBinding?
        /// A deal document of the token's dealership, with its stored size.
        var document: (DealID, DealDocumentKind) throws -> RelayDocumentCache.Entry
    }

    let schema: DealSchema
    let budget: CardBudget
    let token: TokenRecord
    /// The receive time of the entries and the quarantine.
    let now: Date

    /// The refusal of a deal the token cannot reach: the same words whether the deal is
    /// hidden from it or does not exist, so that no answer tells another tenant's id exists.
    static func unknownDealReason(_ deal: DealID) -> String {
        "no deal \(deal) is visible to this token, and it may not create one with this change"
    }

    /// Decides every item in order, until `isOverTime` says the request has had its share
    /// (the items after it are left out of the plan, to be sent again; the first is always
    /// decided). Checks run in the order of protocol-spec/sync.md; the first failure refuses
    /// the item.
    ///
    /// - Throws: what reading a fact throws; the caller then forgets every document the
    ///   push names, since some may have taken changes that will not be stored.
    func decide(_ pushed: DecodedPush, facts: Facts, isOverTime: () -> Bool) throws -> PushPlan {
        var plan = PushPlan()
        /// Deals this push would create: not yet accepted, and accepted (to be committed).
        var newDeals: [DealID: DealRecord] = [:]
        var createdDeals: [DealID: DealRecord] = [:]
        var newBindings: [ReplicaID: ReplicaBinding] = [:]
        let validator = ChangeValidator(schema: schema)
        for (position, item) in pushed.items.enumerated() {
            if position > 0 && isOverTime() { break }
            guard case .success(let change) = item.change, let bytes = item.bytes else {
                var problem = "is not a valid change blob: not base64"
                if case .failure(let failure) = item.change { problem = failure.message }
                // The ref is a placeholder (seq 0 names no change); the device finds the item by index.
                var refusal = RefusedChange(ref: ChangeRef(deal: item.pushed.deal, document: item.pushed.document, change: ChangeID(replica: ReplicaID(1), seq: 0)),
                                            code: .malformed, path: nil, reason: "push item \(item.index) \(problem)")
                refusal.index = item.index
                plan.refused.append(refusal)
                continue
            }
            let deal = item.pushed.deal
            let kind = item.pushed.document
            let ref = ChangeRef(deal: deal, document: kind, change: change.id)
            func refuse(_ code: RefusalCode, _ path: String?, _ reason: String, quarantine: Bool = true) {
                plan.refused.append(RefusedChange(ref: ref, code: code, path: path, reason: reason))
                guard quarantine else { return }
                plan.commit.quarantine.append(QuarantineEntry(
                    deal: deal, document: kind, replica: change.replica, changeSequence: change.seq,
                    blob: bytes, senderUser: token.user, senderDevice: token.device ?? "user:" + token.user,
                    reason: "\(code): \(path.map { "\($0): " } ?? "")\(reason)", quarantinedAt: now))
            }
            // Size first: nothing else is worth doing for a change over budget.
            do {
                try budget.check(change, encodedBytes: bytes.count)
            } catch {
                refuse(error.code, error.path, error.reason)
                continue
            }
            // Who the change is checked as: the token's user and role, or, for a relay token
            // forwarding its devices' changes, the change's own author (validated downstream).
            let claimed = DealCardKit.ChangeAuthor(metadata: change.metadata)
            if token.isRelay && claimed == nil {
                refuse(.forgedAuthor, nil, "a forwarded change must carry its author")
                continue
            }
            let actingRole = claimed.map { token.isRelay ? $0.role : token.role } ?? token.role
            let actingUser = claimed.map { token.isRelay ? $0.user : token.user } ?? token.user
            // The deal: known and visible, or new and creatable by this author.
            if let record = try createdDeals[deal] ?? newDeals[deal] ?? facts.deal(deal) {
                guard Relay.canSee(record, token), schema.canRead(role: actingRole, document: kind) else {
                    refuse(.unknownDeal, nil, Self.unknownDealReason(deal), quarantine: false)
                    continue
                }
            } else {
                let creators: Set<Role> = [.buyer, .sales, .head, .integration]
                guard kind == .shared, creators.contains(actingRole), token.deal == nil || token.deal == deal.rawValue else {
                    refuse(.unknownDeal, nil, Self.unknownDealReason(deal), quarantine: false)
                    continue
                }
                // Registered only with an accepted change (below), so a refused push cannot
                // claim a deal id.
                newDeals[deal] = DealRecord(id: deal, dealership: token.dealership,
                                            buyerUser: actingRole == .buyer ? actingUser : nil, createdAt: now, createdBy: actingUser)
            }
            // The replica belongs to one user on one device, as the change names them (checked
            // against the token by validateAuthor below, or downstream for a relay).
            let device = claimed?.device ?? token.device ?? ""
            let binding = try newBindings[change.replica] ?? facts.binding(change.replica)
                ?? ReplicaBinding(replica: change.replica, device: device, user: actingUser, boundAt: now)
            guard binding.allows(user: actingUser, device: device) else {
                refuse(.impersonation, nil, "replica \(change.replica) belongs to another device")
                continue
            }
            if !token.isRelay {
                do {
                    try validator.validateAuthor(change, user: token.user, role: token.role, device: token.device)
                } catch {
                    refuse(error.code, error.path, error.reason)
                    continue
                }
            }
            guard let author = claimed else {
                refuse(.forgedAuthor, nil, "change metadata is not an author record")
                continue
            }
            let key = RelaySyncState.DocumentKey(dealership: token.dealership, deal: deal, document: kind)
            plan.named.insert(key)
            let entry = try facts.document(deal, kind)
            let document = entry.document
            if change.seq <= document.version[change.replica] {
                // Already stored: a retried push, acknowledged again when it is the same change
                // (compared as decoded, so an encoder's optional choices do not matter).
                if let stored = document.change(change.id), stored != change {
                    refuse(.conflictingChange, nil, "change \(change.id) is already stored with other content")
                } else {
                    plan.accepted.append(ref)
                }
                continue
            }
            guard change.seq == document.version[change.replica] + 1, change.deps.isIncluded(in: document.version) else {
                refuse(.missingDependency, nil, "the change depends on a change the relay does not have (refused, or not pushed yet)", quarantine: false)
                continue
            }
            if let required = document.requiredStartOp(for: change), change.startOp != required {
                refuse(.counterJump, nil, "the change's first op counter is \(change.startOp); after the changes it depends on it must be \(required) (Lamport rule)")
                continue
            }
            do {
                try budget.checkDocument(storedBytes: entry.storedBytes, maxCounter: document.maxCounter, adding: change, encodedBytes: bytes.count)
                try validator.validate(change, role: actingRole, kind: kind, in: document)
            } catch {
                refuse(error.code, error.path, error.reason)
                continue
            }
            let report = document.apply([change])
            if let failure = report.refused.first {
                refuse(.malformed, nil, "\(failure)")
                continue
            }
            entry.storedBytes += bytes.count
            plan.accepted.append(ref)
            if let record = newDeals.removeValue(forKey: deal) {
                createdDeals[deal] = record
                plan.commit.deals.append(record)
            }
            if newBindings[change.replica] == nil, try facts.binding(change.replica) == nil {
                newBindings[change.replica] = binding
                plan.commit.bindings.append(binding)
            }
            plan.commit.entries.append(NewLogEntry(
                dealership: token.dealership, deal: deal, document: kind, replica: change.replica,
                changeSequence: change.seq, blob: bytes,
                author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel), receivedAt: now))
        }
        // The analytics rows of the deals the push changes, from their documents as it leaves
        // them: committed with the entries, in the same transaction.
        let analytics = DealAnalytics(schema: schema)
        for deal in Set(plan.commit.entries.map(\.deal)).sorted() {
            var documents: [DealDocumentKind: RelayDocumentCache.Entry] = [:]
            for kind in DealDocumentKind.allCases { documents[kind] = try facts.document(deal, kind) }
            plan.commit.analytics.append(DealAnalyticsRow(dealership: token.dealership, deal: deal,
                                                          facts: analytics.facts(deal: deal, entries: documents)))
        }
        return plan
    }
}

/// What a push decided: the answer's acknowledgements and refusals, and what to commit.
struct PushPlan {
    var accepted: [ChangeRef] = []
    var refused: [RefusedChange] = []
    /// Everything to store, in one transaction.
    var commit = PushCommit()
    /// The documents the push read (and may have changed in memory).
    var named: Set<RelaySyncState.DocumentKey> = []
}
