import CRDT
import DealCardKit
import Foundation
import SyncProtocol

extension Relay {
    /// How long one slice of bringing stale analytics rows up to date may hold the relay
    /// actor (one deal is always done); other requests run between slices.
    static let analyticsSliceBudget = Duration.milliseconds(10)

    /// `GET /v1/analytics`: a summary of the deals of the token's dealership (head only).
    ///
    /// Read from the store, never from a document: the dealership's ``AnalyticsTotals`` and
    /// two short index ranges of its analytics rows (``DealAnalyticsRow``: one per deal, kept
    /// in the transaction of the deal's changes), in one read transaction of a second
    /// connection, off the relay's actor: a report never holds a push, and includes every
    /// change up to ``AnalyticsReport/cursor``. Stale rows (left by a migration, a change of
    /// rules, set-aside entries) are computed from the documents first, in slices of the
    /// actor's time (``bringAnalyticsUpToDate()``).
    ///
    /// - Complexity: O(counters + 110 list entries + idle deals counted in an index range),
    ///   whatever the number of deals.
    /// - Returns: the report; `forbidden` for a role other than `head`; `unavailable` when the
    ///   store cannot be read or the relay is closing.
    nonisolated func analytics(token: TokenRecord, idleDays: Int, now: Date = Date()) async -> Result<AnalyticsReport, RelayError> {
        guard token.role == .head else {
            return .failure(RelayError(.forbidden, "analytics are for the head of sales (this token has role \(token.role.rawValue))"))
        }
        guard !closedFlag.load(ordering: .acquiring) else { return .failure(Relay.closedError) }
        let analytics = DealAnalytics(schema: analyticsRows.schema)
        do {
            guard let scope = Self.analyticsScope(token) else {
                // A deal scope that is no deal id reaches no deal (as for sync).
                let empty = AnalyticsSummary(cursor: try await storageLatestPosition(), totals: .init(), mostSwitches: [], idleCount: 0, idle: [])
                return .success(analytics.report(empty, now: now, idleDays: idleDays))
            }
            let query = AnalyticsQuery(scope: scope, idleBefore: DealAnalytics.idleBefore(now: now, idleDays: idleDays),
                                       idleLimit: DealAnalytics.idleListLimit, switchesLimit: DealAnalytics.topCount)
            // A row can turn stale between bringing the rows up to date and reading them (an
            // entry set aside, a push grouped with another): then again, a few times.
            for _ in 0..<3 {
                if let summary = try await analyticsReader().read(query) {
                    return .success(analytics.report(summary, now: now, idleDays: idleDays))
                }
                try await bringAnalyticsUpToDate()
            }
            return .failure(RelayError(.unavailable, "the deals' analytics are being computed again; retry shortly"))
        } catch RelayStorageError.storeClosed {
            return .failure(Relay.closedError)
        } catch {
            return .failure(RelayError(.unavailable, "the analytics rows could not be read (\(error)); retry"))
        }
    }

    /// The deals a token's report reads: those ``canSee(_:_:)`` lets it see; nil for a deal
    /// scope that is no deal id (it reaches none).
    nonisolated static func analyticsScope(_ token: TokenRecord) -> AnalyticsScope? {
        var scope = AnalyticsScope(dealership: token.dealership)
        if let text = token.deal {
            guard let deal = DealID(text) else { return nil }
            scope.deal = deal
        } else if token.role == .buyer && !token.isRelay {
            scope.buyerUser = token.user
        }
        return scope
    }

    private func storageLatestPosition() throws -> LogPosition {
        guard !isClosed else { throw RelayStorageError.storeClosed }
        return try storage.latestPosition
    }

    /// The prepared reader, preparing it on the actor the first time.
    private nonisolated func analyticsReader() async throws -> any DealAnalyticsReader {
        if let reader = analyticsRows.reader { return reader }
        return try await prepareAnalytics()
    }

    /// Checks that the stored rows follow this relay's rules (else marks them all stale, to
    /// be computed again) and opens the reader. Done once per start.
    func prepareAnalytics() throws -> any DealAnalyticsReader {
        guard !isClosed else { throw RelayStorageError.storeClosed }
        if let reader = analyticsRows.reader { return reader }
        try analyticsRows.checkRules(of: storage)
        return analyticsRows.keep(try storage.makeAnalyticsReader())
    }

    /// Computes every stale analytics row from its deal's documents, a slice of at most
    /// ``analyticsSliceBudget`` of the actor's time at a time, letting other requests run
    /// between slices. The relay starts this when it starts (``RelayServer/start()``), so an
    /// old store's rows are usually ready before anyone asks.
    ///
    /// - Throws: storage errors (the rows stay stale and the next report tries again);
    ///   `CancellationError` when the task is cancelled.
    nonisolated func bringAnalyticsUpToDate() async throws {
        while try await refreshStaleAnalytics() == false {
            try Task.checkCancellation()
            await Task.yield()
        }
    }

    /// ``bringAnalyticsUpToDate()`` for a starting relay: failures go to the log, and the
    /// first report tries again.
    public nonisolated func prepareAnalyticsRows() async {
        do {
            try await bringAnalyticsUpToDate()
        } catch RelayStorageError.storeClosed {
            // The relay stopped first.
        } catch is CancellationError {
            // The server stopped first.
        } catch {
            log.log("analytics_rows_failed", ["error": .string("\(error)")])
        }
    }

    /// One slice of ``bringAnalyticsUpToDate()``: computes stale rows until the budget is
    /// spent, storing each batch in one transaction.
    /// - Returns: whether no stale row remains.
    func refreshStaleAnalytics(budget: Duration = Relay.analyticsSliceBudget) throws -> Bool {
        _ = try prepareAnalytics()
        // Pushes still waiting for their group commit are in the documents in memory: commit
        // them first, so no row computed here holds a change that is not stored yet.
        flushGroupCommit()
        let started = ContinuousClock.now
        while true {
            let stale = try storage.staleAnalyticsDeals(limit: 64)
            guard !stale.isEmpty else { return true }
            var rows: [DealAnalyticsRow] = []
            for (dealership, deal) in stale {
                rows.append(try analyticsRow(dealership, deal, keepingDocuments: false))
                if ContinuousClock.now - started > budget { break }
            }
            try storage.saveAnalyticsRows(rows)
            metrics.analyticsRowsComputed.increment(by: Double(rows.count))
            if ContinuousClock.now - started > budget { return false }
        }
    }

    /// The analytics row of a deal from its documents (every kind), as they are in memory.
    ///
    /// - Parameter keepingDocuments: false to leave the document cache as it was (documents
    ///   loaded only for this are not kept), so that computing every deal's row once does
    ///   not push the documents in use out of the cache.
    func analyticsRow(_ dealership: String, _ deal: DealID, keepingDocuments: Bool = true) throws -> DealAnalyticsRow {
        var entries: [DealDocumentKind: RelayDocumentCache.Entry] = [:]
        for kind in DealDocumentKind.allCases {
            let key = RelaySyncState.DocumentKey(dealership: dealership, deal: deal, document: kind)
            let wasCached = keepingDocuments || sync.cache.entry(key) != nil
            entries[kind] = try documentEntry(dealership, deal, kind)
            if !wasCached { sync.cache.remove(key) }
        }
        return DealAnalyticsRow(dealership: dealership, deal: deal, facts: DealAnalytics(schema: sync.schema).facts(deal: deal, entries: entries))
    }
}
