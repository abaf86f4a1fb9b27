import DealCardKit
import RelayClient
import SyncProtocol
import Foundation

/// A device talking to its relay: one-round syncs, retries with backoff, and live mode.
///
/// A round pushes the outbox and pulls everything after the device's cursor in one request,
/// then applies the answer in an order that is safe to cut at any point: acknowledgements
/// and received changes are idempotent, and the cursor is saved last, so a retry after a
/// lost answer or a cut connection converges with nothing lost or doubled.
public actor SyncSession {
    public let store: DeviceStore
    public let connection: RelayConnection
    /// Outbox changes sent per request.
    public var pushBatch = 500
    /// At most this many changes or first-sync snapshots per answer (nil: the relay's default).
    public var pageLimit: Int?

    /// Sets ``pageLimit``.
    public func setPageLimit(_ limit: Int?) { pageLimit = limit }
    /// On a first sync, leave out deals closed more than this many days ago (0…36500; nil:
    /// the relay's default, 30). They come when fetched (``fetchDeal(_:)``).
    public var closedDealDays: Int?

    /// Sets ``closedDealDays``.
    public func setClosedDealDays(_ days: Int?) { closedDealDays = days }
    private(set) public var state: SyncState = .offline("not synced yet")
    private var stateObservers: [UUID: AsyncStream<SyncState>.Continuation] = [:]
    private var liveTask: Task<Void, Never>?
    /// One round at a time: a second caller waits its turn (rounds are idempotent, but two
    /// in flight could both act on the same refusal).
    private var roundInFlight = false
    private var roundWaiters: [CheckedContinuation<Void, Never>] = []
    /// The live loop's current round, and whether it is waiting in a long-poll (which a local
    /// edit interrupts so the edit is pushed at once).
    private var liveRound: Task<SyncReport, any Error>?
    private var longPolling = false
    private var interrupted = false
    /// A local edit arrived while no long-poll was open: the next request must not wait.
    private var localEditPending = false

    public init(store: DeviceStore, connection: RelayConnection) {
        self.store = store
        self.connection = connection
    }

    /// The key under which the cursor for this relay is stored.
    private var relayKey: String { connection.baseURL.absoluteString }

    /// Syncs until the outbox is drained and nothing more waits on the relay.
    ///
    /// - Parameter wait: seconds the relay may hold the first request when it has nothing
    ///   new (long-poll).
    /// - Throws: ``SyncError``; the store keeps every local edit whatever happens.
    @discardableResult
    public func sync(wait: Int = 0, progress: (@Sendable (SyncReport) -> Void)? = nil) async throws(SyncError) -> SyncReport {
        if roundInFlight {
            await withCheckedContinuation { roundWaiters.append($0) }
        } else {
            roundInFlight = true
        }
        defer {
            if roundWaiters.isEmpty { roundInFlight = false } else { roundWaiters.removeFirst().resume() }
        }
        setState(.syncing)
        var round = SyncRound(wait: wait, closedDealDays: closedDealDays)
        // The next page of a first sync, asked for while this one is applied (the relay's
        // work and the wire then overlap the device's); used only if the next request is
        // exactly the one it sent.
        var prefetched: (request: SyncRequest, answer: Task<SyncResponse, any Error>)?
        defer { prefetched?.answer.cancel() }
        // The deals to fetch as the end of the previous request left them (read once a request).
        var toFetch: [DealID]?
        do {
            // At cursor 0 after an earlier first sync, this is a re-sync (one cut off is taken up
            // again here): pull first, so the store can re-make edits made behind a horizon.
            if try await storeCall({ try await self.store.cursor(relay: self.relayKey) }).isStart,
               try await storeCall({ try await self.store.firstSyncWindow(relay: self.relayKey) }) != nil {
                round.pullFirst()
            }
            while true {
                let outbox = try await storeCall { try await self.store.outbox(limit: self.pushBatch) }
                let cursor = try await storeCall { try await self.store.cursor(relay: self.relayKey) }
                let asked: [DealID]
                if let toFetch { asked = toFetch } else { asked = try await storeCall { try await self.store.dealsToFetch() } }
                let fetch = cursor.isStart ? [] : asked
                let request = round.request(outbox: outbox, cursor: cursor, localEditPending: localEditPending, limit: pageLimit,
                                            fetch: fetch)
                localEditPending = false
                let response: SyncResponse
                do {
                    if let ahead = prefetched, ahead.request == request {
                        prefetched = nil
                        response = try await Self.answer(of: ahead.answer)
                    } else {
                        prefetched?.answer.cancel()
                        prefetched = nil
                        longPolling = request.wait > 0
                        defer { longPolling = false }
                        response = try await connection.post("v1/sync", request, timeout: TimeInterval(request.wait + 30))
                    }
                } catch let error where error.needsFirstSyncAgain {
                    try await perform(error.isHistoryCompacted ? round.historyCompacted() : round.cursorAhead())
                    continue
                }
                // What the request carried (a first sync after compaction pulls before it pushes).
                let pushed = request.push.isEmpty ? [] : outbox
                let actions = try round.receive(response, to: request, pushed: pushed)
                if response.snapshotsAfter != nil, request.push.isEmpty, !localEditPending {
                    // A first sync goes on with nothing to push: its next request is known now.
                    let next = round.request(outbox: [], cursor: .start, localEditPending: false, limit: pageLimit)
                    let connection = self.connection
                    prefetched = (next, Task { try await connection.post("v1/sync", next, timeout: 30) })
                }
                try await perform(actions)
                progress?(round.report)
                let remaining = try await storeCall { try await self.store.outboxCount() }
                // Deals to fetch are asked for at once while the answers move them on: found by
                // this answer (changes with no history here), left over by a cut answer, or
                // waiting for the first sync to end. The same ones left as asked: a relay that
                // does not fetch; the round ends, and they stay asked for.
                let left = try await storeCall { try await self.store.dealsToFetch() }
                toFetch = left
                let fetchWaits = !left.isEmpty && left != (request.fetch ?? [])
                if round.isFinished(after: response, pushedCount: pushed.count, remaining: remaining) && !fetchWaits { break }
            }
            setState(.upToDate)
            return round.report
        } catch {
            setState(error.isTransient ? .offline(error.description) : .error(error.description))
            throw error
        }
    }

    /// What became of ``fetchDeal(_:)``.
    public enum FetchOutcome: Sendable, Equatable {
        /// The deal is on the device now, and syncs from now on.
        case fetched
        /// The device held the deal already (it synced).
        case alreadyHere
        /// The relay has no such deal for this device (missing, or hidden from its token).
        case unknown
        /// The relay answered without the deal (a relay too old to fetch); still asked for.
        case notSent
    }

    /// Fetches one deal whole from the relay, for instance one closed before the first sync's
    /// window, and keeps it synced from then on (a pull reads every deal the token sees).
    /// The request survives a restart of the device until an answer settles it.
    ///
    /// - Throws: ``SyncError`` as ``sync(wait:progress:)``; the deal stays asked for.
    public func fetchDeal(_ deal: DealID) async throws(SyncError) -> FetchOutcome {
        if try await storeCall({ try await self.store.holdsHistory(of: deal) }) {
            try await sync()
            return .alreadyHere
        }
        try await storeCall { try await self.store.requestFetch(deal) }
        let report = try await sync()
        if try await storeCall({ try await self.store.holdsHistory(of: deal) }) { return .fetched }
        return report.unknownDeals.contains(deal) ? .unknown : .notSent
    }

    /// Syncs, retrying transient failures with exponential backoff and jitter (0.25 s
    /// doubling up to `maxDelay`), at most `attempts` times.
    @discardableResult
    public func syncRetrying(attempts: Int = 8, maxDelay: Double = 8,
                             progress: (@Sendable (SyncReport) -> Void)? = nil) async throws(SyncError) -> SyncReport {
        var attempt = 0
        while true {
            do {
                return try await sync(progress: progress)
            } catch {
                attempt += 1
                guard error.isTransient, attempt < attempts else { throw error }
                try? await Task.sleep(for: .seconds(SyncBackoff.delay(attempt: attempt, maxDelay: maxDelay)))
            }
        }
    }

    /// Starts live mode: a long-poll loop that applies remote changes as they come, pushes
    /// local edits promptly, and reconnects by itself after a dropped connection.
    public func startLive(pollSeconds: Int = 25) {
        guard liveTask == nil else { return }
        liveTask = Task { [weak self] in
            guard let self else { return }
            let localEdits = await self.store.events()
            let watcher = Task { [weak self] in
                for await event in localEdits where event.origin == .local {
                    await self?.interruptLongPoll()
                }
            }
            var failures = 0
            while !Task.isCancelled {
                let round = Task { try await self.sync(wait: pollSeconds) }
                await self.setLiveRound(round)
                do {
                    _ = try await withTaskCancellationHandler { try await round.value } onCancel: { round.cancel() }
                    failures = 0
                } catch {
                    if await self.takeInterruption() { continue }
                    failures += 1
                    try? await Task.sleep(for: .seconds(SyncBackoff.delay(attempt: failures, maxDelay: 5)))
                }
            }
            await self.setLiveRound(nil)
            watcher.cancel()
            await watcher.value
        }
    }

    private func setLiveRound(_ round: Task<SyncReport, any Error>?) { liveRound = round }

    /// Ends the live loop's long-poll early (a local edit is waiting to be pushed).
    private func interruptLongPoll() {
        guard longPolling, let round = liveRound else {
            localEditPending = true
            return
        }
        interrupted = true
        round.cancel()
    }

    /// Whether the last round ended because a local edit interrupted its long-poll.
    private func takeInterruption() -> Bool {
        defer { interrupted = false }
        return interrupted
    }

    /// Stops live mode and waits until its work has ended (no store call is left running).
    public func stopLive() async {
        guard let task = liveTask else { return }
        liveTask = nil
        task.cancel()
        await task.value
    }

    /// The session's state changes, starting with the current one.
    public func states() -> AsyncStream<SyncState> {
        let (stream, continuation) = AsyncStream<SyncState>.makeStream(bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        stateObservers[id] = continuation
        continuation.yield(state)
        continuation.onTermination = { [weak self] _ in Task { await self?.removeObserver(id) } }
        return stream
    }

    private func removeObserver(_ id: UUID) { stateObservers[id] = nil }

    private func setState(_ new: SyncState) {
        guard new != state else { return }
        state = new
        for observer in stateObservers.values { observer.yield(new) }
    }

    /// Performs a round's actions on the store, in order.
    private func perform(_ actions: [SyncRound.Action]) async throws(SyncError) {
        for action in actions {
            switch action {
            case .acknowledge(let refs):
                try await storeCall { try await self.store.acknowledge(refs) }
            case .quarantine(let item, let refusal):
                try await storeCall {
                    try await self.store.quarantine(item.ref, blob: item.blob, code: refusal.code, reason: refusal.reason)
                    try await self.store.acknowledge([item.ref])
                }
            case .rebase(let refusal, let pushed):
                try await storeCall { try await self.store.rebase(after: refusal, pushed: pushed) }
            case .apply(let groups):
                try await storeCall {
                    let reports = try await self.store.applyRemote(received: groups)
                    // Only a document that now holds changes back can lack its history.
                    let waiting = zip(groups, reports).filter { !$0.1.pending.isEmpty }.map(\.0)
                    if !waiting.isEmpty { try await self.store.requestFetchOfDealsWithoutHistory(waiting) }
                }
            case .fetchAnswered(let deals):
                try await storeCall { try await self.store.fetchAnswered(deals) }
            case .recordFirstSync(let days, let archived):
                try await storeCall { try await self.store.recordFirstSync(relay: self.relayKey, closedDealDays: days, archivedDeals: archived) }
            case .setCursor(let cursor):
                try await storeCall { try await self.store.setCursor(cursor, relay: self.relayKey) }
            case .resetCursor:
                try await storeCall { try await self.store.resetCursor(relay: self.relayKey) }
            }
        }
    }

    /// The answer a prefetched request got, or its ``SyncError`` (a cancelled one is
    /// ``SyncError/unreachable(_:)``: retry).
    private static func answer(of task: Task<SyncResponse, any Error>) async throws(SyncError) -> SyncResponse {
        do {
            return try await task.value
        } catch let error as SyncError {
            throw error
        } catch {
            throw .unreachable("the request for the next page ended: \(error)")
        }
    }

    @discardableResult
    private func storeCall<T>(_ body: () async throws -> T) async throws(SyncError) -> T {
        do { return try await body() } catch { throw .store(StoreError.wrap(error)) }
    }
}
