import SyncProtocol
import Foundation

extension Relay {
    /// Time one request may hold the relay actor for its push, and again for a first sync's
    /// snapshots: past it the remaining items are left for the next round (one item is
    /// always done), so that no request holds the others for long.
    static let timeBudget = Duration.milliseconds(250)

    /// Decides the push (``PushDecision``), then commits everything it decided in one
    /// transaction, shared with the pushes that arrived together (``RelayGroupCommit``).
    /// Items past ``timeBudget`` are left out of the answer, to be sent again.
    ///
    /// When deciding or committing fails, every document the push named is forgotten (memory
    /// must match the log: the next use rebuilds it) and nothing was stored.
    func push(_ pushed: DecodedPush, token: TokenRecord) async throws -> ([ChangeRef], [RefusedChange]) {
        let decision = PushDecision(schema: sync.schema, budget: sync.budget, token: token, now: Date())
        let facts = PushDecision.Facts(
            deal: { [storage] id in try storage.deal(dealership: token.dealership, id: id) },
            binding: { [storage] replica in try storage.replicaBinding(replica) },
            document: { id, kind in try self.documentEntry(token.dealership, id, kind) })
        let started = ContinuousClock.now
        let plan: PushPlan
        do {
            plan = try decision.decide(pushed, facts: facts, isOverTime: { ContinuousClock.now - started > Relay.timeBudget })
        } catch {
            forgetDocuments(of: pushed, token: token)
            throw error
        }
        var commit = plan.commit
        // Fresh snapshots of the documents it changed, while memory holds them (freshSnapshots).
        commit.snapshots = freshSnapshots(for: commit.entries)
        commit.basedOn = pushBase
        // Committed with the pushes decided meanwhile (RelayGroupCommit); answered after.
        // A failed push's documents are forgotten by the flush itself (RelayGroupCommit).
        if case .failure(let error) = await commitGrouped(commit, named: Array(plan.named)) { throw error }
        metrics.changesRefused.increment(by: Double(plan.refused.count))
        if !plan.commit.entries.isEmpty {
            metrics.changesAccepted.increment(by: Double(plan.commit.entries.count))
            announce(plan.commit.entries.map { RelaySyncState.DocumentKey(dealership: $0.dealership, deal: $0.deal, document: $0.document) })
        }
        return (plan.accepted, plan.refused)
    }

    /// Forgets the cached documents a push names.
    private func forgetDocuments(of pushed: DecodedPush, token: TokenRecord) {
        for item in pushed.items {
            sync.cache.remove(RelaySyncState.DocumentKey(dealership: token.dealership, deal: item.pushed.deal, document: item.pushed.document))
        }
    }
}
