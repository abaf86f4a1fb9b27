import DealCardKit

/// Reads stored analytics for `GET /v1/analytics` off the relay's actor, through its own
/// connection to the store (``RelayStorage/makeAnalyticsReader()``).
///
/// Thread-safe: one report reads at a time; others wait their turn.
public protocol DealAnalyticsReader: Sendable {
    /// Reads, in one read transaction, what a report of `query` needs: the totals of the
    /// deals its scope reaches, its two lists, and the log position all of it is current to.
    ///
    /// - Returns: nil when a row in the scope is stale (its facts wait to be computed again):
    ///   the caller brings the rows up to date (``RelayStorage/staleAnalyticsDeals(limit:)``)
    ///   and reads again.
    /// - Throws: ``RelayStorageError/storeClosed`` after ``close()``; SQLite errors;
    ///   ``RelayStorageError/unreadableValue(column:value:)`` for a damaged row.
    func read(_ query: AnalyticsQuery) throws -> AnalyticsSummary?
    /// Releases the connection; a later ``read(_:)`` throws.
    func close()
}

/// The deals a report reads: those a token can see (`Relay.canSee`), as a query.
public struct AnalyticsScope: Sendable, Hashable {
    public var dealership: String
    /// Only this deal (a token scoped to one deal).
    public var deal: DealID?
    /// Only the deals whose buyer is this user.
    public var buyerUser: String?

    public init(dealership: String, deal: DealID? = nil, buyerUser: String? = nil) {
        self.dealership = dealership
        self.deal = deal
        self.buyerUser = buyerUser
    }
}
