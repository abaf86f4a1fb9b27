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

/// Long-polls that share one answer, as ``LongPollIndex`` gives them out.
typealias LongPollBatch = LongPollIndex<LongPollWaiter>.Batch

/// A batch of long-polls to answer: woken by a commit (at `wokenAt`), or at the end of its
/// wait (nil).
struct LongPollsDue: Sendable {
    var batch: LongPollBatch
    var wokenAt: ContinuousClock.Instant?

    /// Batches with the same key get the same answer.
    struct AnswerKey: Hashable {
        var scope: ReadScope
        var shape: LongPollIndex<LongPollWaiter>.Shape
    }

    var answerKey: AnswerKey { AnswerKey(scope: batch.scope, shape: batch.shape) }
}
