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
