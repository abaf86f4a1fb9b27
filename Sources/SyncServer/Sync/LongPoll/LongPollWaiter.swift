import SyncProtocol

/// A `POST /v1/sync` held open until a change it may read is committed or its `wait`
/// passes: what its answer is built from, and the ticket its request awaits.
struct LongPollWaiter: Sendable {
    /// Its answer is the same for every long-poll with the same key (see ``ReadScope``).
    struct AnswerKey: Hashable {
        var scope: ReadScope
        var cursor: LogPosition
        var limit: Int
    }

    let ticket: LongPollTicket
    /// The request's token: any token of the same ``scope`` would get the same answer.
    let token: TokenRecord
    let scope: ReadScope
    let cursor: LogPosition
    /// The answer's `limit` as the request asked (or the default).
    let limit: Int
    /// The tick its wait runs out at (``LongPollDeadlines``).
    let deadline: Int64
    /// When the commit that woke it was made; nil for a long-poll whose wait ran out.
    var wokenAt: ContinuousClock.Instant?

    var answerKey: AnswerKey { AnswerKey(scope: scope, cursor: cursor, limit: limit) }
}
