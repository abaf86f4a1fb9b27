import DealCardKit
import SyncProtocol

/// Reads stored analytics rows for `GET /v1/analytics` off the relay's actor, through its own
/// connection to the store (``RelayStorage/makeAnalyticsReader(stateNames:)``).
///
/// Thread-safe: one report reads at a time; others wait their turn.
public protocol DealAnalyticsReader: Sendable {
    /// Reads, in one read transaction, the rows of every deal `scope` reaches, in deal id
    /// order, handing each to `body`; returns the log position the rows are current to.
    ///
    /// - Returns: nil when a row is stale (its facts wait to be computed again): the caller
    ///   brings the rows up to date (``RelayStorage/staleAnalyticsDeals(limit:)``) and reads
    ///   again. `body` has seen the rows before it.
    /// - Throws: ``RelayStorageError/storeClosed`` after ``close()``; SQLite errors; what `body` throws.
    func read(_ scope: AnalyticsScope, _ body: (any StoredAnalyticsRow) throws -> Void) throws -> LogPosition?
    /// Releases the connection; a later ``read(_:_:)`` throws.
    func close()
}

/// One stored analytics row as ``DealAnalyticsReader`` hands it over: its numbers at once,
/// its text only on request (most deals never need their id or path). Valid only inside the
/// reader's callback.
public protocol StoredAnalyticsRow {
    /// `status.state` as its position in the reader's state names; -1 when unset, -2 for a
    /// value not among them (``stateName()``).
    var stateCode: Int { get }
    /// `status.state` as stored.
    func stateName() -> String?
    /// Column `stages`: one letter per stage of `Stage.allCases` (see ``DealAnalyticsRow``).
    func withStageLetters<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
    /// Required fields filled.
    var filled: Int64 { get }
    /// Required fields counted.
    var required: Int64 { get }
    /// The channel of the latest change.
    /// - Throws: ``RelayStorageError/unreadableValue(column:value:)`` for one that is no channel.
    func lastChannel() throws -> Channel?
    var switches: Int64 { get }
    /// The latest author time, milliseconds since 1970.
    var lastChangeAt: Int64? { get }
    /// - Throws: ``RelayStorageError/unreadableValue(column:value:)`` for a stored id that is no deal id.
    func deal() throws -> DealID
    /// The channels of the deal's changes, repeats collapsed.
    /// - Throws: ``RelayStorageError/unreadableValue(column:value:)``.
    func path() throws -> [Channel]
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
