import Foundation
import SyncProtocol

/// Long-polls: waiting, waking, answering (protocol-spec/sync.md, `wait`).
///
/// A long-poll is filed in ``RelaySyncState/longPolls`` by what it may read. A commit wakes
/// only the ones that can see one of its entries (``announce(_:)``); their answers are built
/// in a later job of the actor, after the committing request has its own, once per distinct
/// ``LongPollWaiter/AnswerKey``, then encoded once and handed to every long-poll that shares
/// it, off the actor (``deliver(_:)``). Waits that run out are swept once a tick
/// (``LongPollDeadlines``) and answered the same way.
extension Relay {
    /// Files a long-poll for `token` at `cursor` and returns the ticket its request awaits
    /// (``outcome(of:)``). Called in the same job of the actor as the pull that found nothing
    /// new, so no commit can fall in between unseen.
    ///
    /// It ends when a commit it may read wakes it (with the answer after `cursor` then), when
    /// `seconds` pass (within a tick after; with what that answer is then: nothing new, the
    /// cursor moved on past what it may not read), or when the relay closes (`unavailable`).
    func waitForNews(token: TokenRecord, cursor: LogPosition, limit: Int, seconds: Int, closedDealDays: Int? = nil) -> LongPollTicket {
        let ticket = LongPollTicket()
        let deadline = LongPollDeadlines.tick(atOrAfter: ContinuousClock.now + .seconds(seconds) - startedAt)
        let scope = ReadScope(token: token, documents: readableKinds(token))
        let waiter = LongPollWaiter(ticket: ticket, token: token, deadline: deadline)
        sync.longPolls.insert(waiter, id: ticket.id, scope: scope, shape: .init(cursor: cursor, limit: limit, closedDealDays: closedDealDays))
        sync.longPollDeadlines.insert(ticket.id, at: deadline)
        metrics.longPollsWaiting.set(Double(sync.longPolls.count))
        sweepLongPollsWhileTheyWait()
        return ticket
    }

    /// How the long-poll of `ticket` ended, awaited off the actor. When the request's task is
    /// cancelled (its client went away), the long-poll ends at once, ``LongPollTicket/Outcome/abandoned``.
    nonisolated func outcome(of ticket: LongPollTicket) async -> LongPollTicket.Outcome {
        await withTaskCancellationHandler {
            await ticket.outcome()
        } onCancel: {
            if ticket.finish(.abandoned) {
                Task { await self.forgetLongPoll(ticket.id) }
            }
        }
    }

    /// Drops a long-poll whose request went away.
    private func forgetLongPoll(_ id: UUID) {
        guard let batch = sync.longPolls.remove(id) else { return }
        for waiter in batch.waiters.values { sync.longPollDeadlines.remove(id, at: waiter.deadline) }
        metrics.longPollsWaiting.set(Double(sync.longPolls.count))
    }

    /// Starts the task that ends waits as they run out, unless it runs; it stops once no
    /// long-poll waits.
    private func sweepLongPollsWhileTheyWait() {
        guard !sync.isSweepingLongPolls else { return }
        sync.isSweepingLongPolls = true
        Task.detached { [weak self] in
            while true {
                try? await Task.sleep(for: LongPollDeadlines.tick)
                guard let self, await self.sweepLongPolls() else { return }
            }
        }
    }

    /// Answers the long-polls whose wait has run out; returns whether any still wait.
    private func sweepLongPolls() -> Bool {
        let due = sync.longPollDeadlines.takeDue(through: LongPollDeadlines.tick(before: ContinuousClock.now - startedAt))
        for id in due {
            if let batch = sync.longPolls.remove(id) { sync.longPollsToAnswer.append(LongPollsDue(batch: batch, wokenAt: nil)) }
        }
        if !due.isEmpty {
            metrics.longPollsWaiting.set(Double(sync.longPolls.count))
            scheduleLongPollAnswers()
        }
        guard sync.longPolls.count > 0 else {
            sync.isSweepingLongPolls = false
            return false
        }
        return true
    }

    /// Wakes the long-polls that may read one of the `committed` documents (a push, an
    /// integration write, an upstream append), and every ``waitForAnyCommit(seconds:)``.
    ///
    /// Only takes them out of the index, in batches that share an answer, and counts them
    /// (`relay_longpoll_wakeups_total`): their answers are built in a job of their own, after
    /// the committing request's, and each waiter's bookkeeping is done after they are sent.
    ///
    /// - Complexity: O(committed documents + batches woken), plus one deal lookup per
    ///   committed document whose dealership has buyers waiting: nothing per woken long-poll.
    func announce(_ committed: some Sequence<RelaySyncState.DocumentKey>) {
        let waiting = sync.commitWaiters
        sync.commitWaiters = [:]
        for continuation in waiting.values { continuation.resume() }

        let committedAt = ContinuousClock.now
        let woken = sync.longPolls.takeWoken(by: committed) { [storage] dealership, deal in
            do {
                guard let user = try storage.deal(dealership: dealership, id: deal)?.buyerUser else { return .none }
                return .user(user)
            } catch {
                return .unknown
            }
        }
        guard !woken.isEmpty else { return }
        metrics.longPollWakeups.increment(by: Double(woken.reduce(0) { $0 + $1.waiters.count }))
        metrics.longPollsWaiting.set(Double(sync.longPolls.count))
        for batch in woken { sync.longPollsToAnswer.append(LongPollsDue(batch: batch, wokenAt: committedAt)) }
        scheduleLongPollAnswers()
    }

    /// Starts the task that answers ``RelaySyncState/longPollsToAnswer``, unless one is on
    /// its way (it will take these too).
    private func scheduleLongPollAnswers() {
        guard !sync.isAnsweringLongPolls else { return }
        sync.isAnsweringLongPolls = true
        // A job of its own: the request that committed finishes its answer first.
        Task.detached { [weak self] in
            guard let self else { return }
            let answers = await self.answerLongPolls()
            self.deliver(answers)
            await self.forgetAnswered(answers)
        }
    }

    /// The long-polls due, grouped by answer, with each group's answer read once.
    private func answerLongPolls() -> [(answer: Result<SyncResponse, RelayError>, due: [LongPollsDue])] {
        sync.isAnsweringLongPolls = false
        let due = sync.longPollsToAnswer
        sync.longPollsToAnswer = []
        guard !isClosed else { return [(.failure(Relay.closedError), due)] }
        var answers: [(answer: Result<SyncResponse, RelayError>, due: [LongPollsDue])] = []
        // Read from the store: `sync-server compact` in another process counts too.
        let compacted = (try? noticeCompaction()) ?? sync.compactedThrough
        for (key, batches) in Dictionary(grouping: due, by: \.answerKey) {
            guard let token = batches.lazy.compactMap({ $0.batch.waiters.first?.value.token }).first else { continue }
            // A compaction since the wait began (an upstream base adopted, say) took what these
            // readers lack out of the log: they must sync again from 0, not move on past it.
            if !key.shape.cursor.isStart, key.shape.cursor < compacted {
                answers.append((.failure(Self.historyCompacted(through: compacted, cursor: key.shape.cursor)), batches))
                continue
            }
            do {
                answers.append((.success(try pull(after: key.shape.cursor, token: token, limit: key.shape.limit,
                                                  closedDealDays: key.shape.closedDealDays)), batches))
            } catch {
                answers.append((.failure(RelayError(.internalError, "reading the change log failed: \(error)")), batches))
            }
            metrics.longPollAnswersBuilt.increment()
        }
        trimDocumentCache()
        return answers
    }

    /// Forgets the answered long-polls' places and deadlines: the bookkeeping per long-poll,
    /// done once they have their answers.
    private func forgetAnswered(_ answers: [(answer: Result<SyncResponse, RelayError>, due: [LongPollsDue])]) {
        for (_, due) in answers {
            for item in due where item.wokenAt != nil {
                for (id, waiter) in item.batch.waiters {
                    sync.longPolls.forget(id)
                    sync.longPollDeadlines.remove(id, at: waiter.deadline)
                }
            }
        }
    }

    /// Encodes each answer once and finishes the tickets that share it; off the actor.
    private nonisolated func deliver(_ answers: [(answer: Result<SyncResponse, RelayError>, due: [LongPollsDue])]) {
        for (answer, due) in answers {
            let outcome: LongPollTicket.Outcome
            switch answer {
            case .success(let response):
                do {
                    outcome = .answered(LongPollAnswer(response: response, body: try encodeAnswer(response)))
                } catch {
                    outcome = .failed(RelayError(.internalError, "could not encode the answer: \(error)"))
                }
            case .failure(let error):
                outcome = .failed(error)
            }
            for item in due {
                for waiter in item.batch.waiters.values {
                    waiter.ticket.finish(outcome)
                    if let wokenAt = item.wokenAt { metrics.fanoutLatency.observe(ContinuousClock.now - wokenAt) }
                }
            }
        }
    }

    /// Ends every long-poll with `unavailable` and wakes every ``waitForAnyCommit(seconds:)``
    /// (the relay is closing).
    func endAllWaits() {
        let waiting = sync.commitWaiters
        sync.commitWaiters = [:]
        for continuation in waiting.values { continuation.resume() }
        let all = sync.longPolls.takeAll() + sync.longPollsToAnswer.flatMap { $0.batch.waiters.values }
        sync.longPollsToAnswer = []
        sync.longPollDeadlines = LongPollDeadlines()
        metrics.longPollsWaiting.set(0)
        for waiter in all { waiter.ticket.finish(.failed(Relay.closedError)) }
    }

    /// Suspends until anything is committed, in any dealership, or `seconds` pass (the
    /// upstream push loop, which pushes the whole log).
    func waitForAnyCommit(seconds: Int) async {
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            sync.commitWaiters[id] = continuation
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(seconds))
                await self?.endCommitWait(id)
            }
        }
    }

    private func endCommitWait(_ id: UUID) {
        sync.commitWaiters.removeValue(forKey: id)?.resume()
    }
}
