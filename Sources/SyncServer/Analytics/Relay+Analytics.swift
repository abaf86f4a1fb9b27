import CRDT
import DealCardKit
import Foundation

extension Relay {
    /// `GET /v1/analytics`: a summary of the deals of the token's dealership (head only).
    ///
    /// Computed on request from the relay's in-memory documents, which the sync path keeps
    /// current as changes are committed, so the report includes every change up to
    /// ``AnalyticsReport/cursor``.
    ///
    /// - Complexity: O(total ops of every deal) per request, plus, on the first request after
    ///   a start, rebuilding each deal document from the log (which then stays in memory). Fine
    ///   for a dealership's thousands of deals; a dealer group's hundreds of thousands want
    ///   per-deal facts kept incrementally (on each commit) or materialized in the store.
    /// - Returns: the report, or `forbidden` for a role other than `head`.
    func analytics(token: TokenRecord, idleDays: Int, now: Date = Date()) -> Result<AnalyticsReport, RelayError> {
        // Pushes still waiting for their group commit are in the documents in memory: commit
        // them first, so nothing here reads or builds on a change that is not stored yet.
        flushGroupCommit()
        guard token.role == .head else {
            return .failure(RelayError(.forbidden, "analytics are for the head of sales (this token has role \(token.role.rawValue))"))
        }
        guard !isClosed else { return .failure(Relay.closedError) }
        let analytics = DealAnalytics(schema: sync.schema)
        do {
            let cursor = try storage.latestPosition
            var facts: [DealAnalytics.DealFacts] = []
            for id in try visibleDealIDs(token).sorted() {
                let deal = id
                var documents: [DealDocumentKind: Document] = [:]
                for kind in DealDocumentKind.allCases { documents[kind] = try document(token.dealership, id, kind) }
                guard documents.values.contains(where: { !$0.history.isEmpty }) else { continue }
                facts.append(analytics.facts(deal: deal, documents: documents))
            }
            return .success(analytics.report(facts, now: now, idleDays: idleDays, cursor: cursor))
        } catch {
            return .failure(RelayError(.unavailable, "the change log could not be read (\(error)); retry"))
        }
    }
}
