import SyncProtocol

/// A `POST /v1/sync` held open until a change it may read is committed or its `wait`
/// passes: the ticket its request awaits. What its answer is read at (scope, cursor, limit)
/// is where ``LongPollIndex`` files it.
struct LongPollWaiter: Sendable {
    let ticket: LongPollTicket
    /// The request's token: any token of the same scope would get the same answer, so a
    /// batch's answer is read with any of its waiters' tokens.
    let token: TokenRecord
    /// The tick its wait runs out at (``LongPollDeadlines``).
    let deadline: Int64
}
