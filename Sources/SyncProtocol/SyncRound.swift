import DealCardKit

/// The decisions of one sync as a value: what to ask the relay next, what to do with each
/// answer, when to stop. It does no I/O and reads no clock; ``SyncSession`` performs the
/// actions it returns, in order, and the tests drive it without a network.
///
/// A showroom relay syncing with its upstream relay drives the same value (with
/// ``RefusalHandling/quarantineEach``, and its first-sync page kept in its store between
/// requests): a relay is a device of the relay above it.
public struct SyncRound: Sendable {
    /// Where a first sync spread over several answers goes on: the last deal received and the
    /// log position the first answer named (echoed as `snapshotsAfter` and `bootstrapCursor`).
    public struct FirstSyncPage: Sendable, Hashable {
        public var after: DealID
        public var cursor: LogPosition

        public init(after: DealID, cursor: LogPosition) {
            self.after = after
            self.cursor = cursor
        }
    }

    /// What a refusal of a pushed change leads to.
    public enum RefusalHandling: Sendable, Equatable {
        /// The sender made the change: the refusal with the lowest seq of each document is
        /// quarantined and the document rebased (``Action/rebase(_:pushed:)``), which covers
        /// the later ones. What a device does.
        case rebase
        /// The sender forwards other people's changes and cannot re-make them: every refused
        /// item is quarantined on its own (``Action/quarantine(_:_:)``). What a relay syncing
        /// upstream does. A refusal naming no pushed item still comes as a rebase action.
        case quarantineEach
    }

    /// What the session must do with an answer, in this order.
    public enum Action: Sendable, Equatable {
        /// Remove these changes from the outbox: the relay has them.
        case acknowledge([ChangeRef])
        /// The relay could not read this pushed item (or, with
        /// ``RefusalHandling/quarantineEach``, refused it): keep it in the quarantine and stop
        /// sending it (then acknowledge it).
        case quarantine(OutboxItem, RefusedChange)
        /// The relay refused this change: quarantine it and rebase the document (the
        /// refusal with the lowest seq of each document; the rebase covers the later ones).
        case rebase(RefusedChange, pushed: [UInt8]?)
        /// Apply and commit these documents' snapshots and changes, with the bytes received.
        case apply([ReceivedChanges])
        /// Save the new cursor (last, so a cut before it only repeats work).
        case setCursor(LogPosition)
        /// Forget the cursor: the relay's data was replaced; start again from 0.
        case resetCursor
        /// A first sync ended: keep its closed-deal window (nil: every deal was sent) and how
        /// many deals it left out.
        case recordFirstSync(closedDealDays: Int?, archivedDeals: Int?)
        /// The answer dealt with these deals of the request's `fetch` (brought them, or named
        /// them unknown): stop asking for them.
        case fetchAnswered([DealID])
    }

    /// Seconds the first request may wait in a long-poll.
    private var wait: Int
    private let refusals: RefusalHandling
    /// The closed-deal window a first sync asks for (nil: the relay's default).
    private let closedDealDays: Int?
    /// A first sync spread over several answers: where the next page starts (nil when no
    /// first sync is under way).
    public private(set) var firstSyncPage: FirstSyncPage?
    /// What the round has done so far.
    public private(set) var report = SyncReport()
    /// After `409 history_compacted`: the outbox waits until the first sync has brought the
    /// compacted documents, on which the store re-makes the edits made behind the horizon
    /// (pushed as they are, the relay could only refuse them).
    public private(set) var pullsBeforePushing = false
    /// The last answer ended such a first sync: the outbox is to be pushed now.
    private var resyncEnded = false

    /// - Parameters:
    ///   - wait: seconds the first request may wait in a long-poll.
    ///   - firstSyncPage: a first sync under way, as an earlier round left it (a relay keeps
    ///     it in its store; a device finishes its first sync in one round).
    ///   - refusals: what a refused change leads to.
    ///   - closedDealDays: on a first sync, the window for closed deals to ask for (nil: the
    ///     relay's default, 30 days).
    public init(wait: Int = 0, firstSyncPage: FirstSyncPage? = nil, refusals: RefusalHandling = .rebase, closedDealDays: Int? = nil) {
        self.wait = wait
        self.firstSyncPage = firstSyncPage
        self.refusals = refusals
        self.closedDealDays = closedDealDays
    }

    /// The next request: the outbox, the cursor, the deals to fetch (on a later sync; at most
    /// ``SyncRequest/maxFetch``), a long-poll only when there is nothing to push or fetch, no
    /// local edit waiting and no first-sync page to get.
    public func request(outbox: [OutboxItem], cursor: LogPosition, localEditPending: Bool, limit: Int?,
                        fetch: [DealID] = []) -> SyncRequest {
        let fetching = cursor.isStart ? [] : Array(fetch.prefix(SyncRequest.maxFetch))
        let pushing = pullsBeforePushing && cursor.isStart ? [] : outbox
        let mayWait = outbox.isEmpty && !localEditPending && firstSyncPage == nil && fetching.isEmpty
        var request = SyncRequest(cursor: cursor,
                                  push: pushing.map { PushedChange(deal: $0.ref.deal, document: $0.ref.document, change: $0.blob) },
                                  wait: mayWait ? wait : 0, limit: limit)
        if cursor.isStart {
            request.closedDealDays = closedDealDays
            if let firstSyncPage {
                request.snapshotsAfter = firstSyncPage.after
                request.bootstrapCursor = firstSyncPage.cursor
            }
        }
        if !fetching.isEmpty { request.fetch = fetching }
        return request
    }

    /// The actions for an answer to a request that pushed `pushed`.
    ///
    /// - Throws: ``SyncError/badResponse(_:)`` when a blob in the answer cannot be read
    ///   (nothing of the answer is applied then).
    public mutating func receive(_ response: SyncResponse, pushed: [OutboxItem]) throws(SyncError) -> [Action] {
        try receive(response, to: nil, pushed: pushed)
    }

    /// The actions for the answer to `request`, which pushed `pushed`; with the request known,
    /// they include what became of its `fetch` (``Action/fetchAnswered(_:)``) and, at the end
    /// of a first sync, its window (``Action/recordFirstSync(closedDealDays:archivedDeals:)``).
    ///
    /// - Throws: ``SyncError/badResponse(_:)`` when a blob in the answer cannot be read
    ///   (nothing of the answer is applied then).
    public mutating func receive(_ response: SyncResponse, to request: SyncRequest?, pushed: [OutboxItem]) throws(SyncError) -> [Action] {
        var actions: [Action] = [.acknowledge(response.accepted)]
        resyncEnded = false
        if pullsBeforePushing, request?.cursor.isStart ?? true, response.snapshotsAfter == nil {
            pullsBeforePushing = false
            resyncEnded = true
        }
        report.pushed += pushed.count
        report.accepted += response.accepted.count
        var items: [ChangeRef: OutboxItem] = [:]
        for item in pushed { items[item.ref] = item }
        var lowest: [String: RefusedChange] = [:]
        for refusal in response.refused {
            if refusal.code == .malformed, let index = refusal.index, pushed.indices.contains(index) {
                actions.append(.quarantine(pushed[index], refusal))
                report.refused.append(refusal)
                continue
            }
            if refusals == .quarantineEach, let item = items[refusal.ref] {
                actions.append(.quarantine(item, refusal))
                report.refused.append(refusal)
                continue
            }
            let key = refusal.ref.deal.rawValue + "/" + refusal.ref.document.rawValue
            if let current = lowest[key], current.ref.seq <= refusal.ref.seq { continue }
            lowest[key] = refusal
        }
        for refusal in lowest.values.sorted(by: { ($0.ref.deal, $0.ref.document.rawValue) < ($1.ref.deal, $1.ref.document.rawValue) }) {
            actions.append(.rebase(refusal, pushed: items[refusal.ref]?.blob))
            report.refused.append(refusal)
        }
        var groups: [ReceivedChanges] = []
        for snapshot in response.snapshots {
            guard let bytes = decodeBase64(snapshot.snapshot) else { throw .badResponse("snapshot of \(snapshot.deal) is not base64") }
            do {
                groups.append(ReceivedChanges(deal: snapshot.deal, document: snapshot.document,
                                              snapshot: try ReceivedChanges.Snapshot(blob: bytes), changes: []))
            } catch {
                throw .badResponse("snapshot of \(snapshot.deal): \(error)")
            }
        }
        for logged in response.changes {
            guard let bytes = decodeBase64(logged.change) else { throw .badResponse("change at \(logged.cursor) is not base64") }
            // Kept as received: the store writes these bytes, not a re-encoding.
            let change: EncodedChange
            do { change = try EncodedChange(blob: bytes) } catch { throw .badResponse("change at \(logged.cursor): \(error)") }
            if let last = groups.last, last.deal == logged.deal, last.document == logged.document {
                groups[groups.count - 1].changes.append(change)
            } else {
                groups.append(ReceivedChanges(deal: logged.deal, document: logged.document, changes: [change]))
            }
        }
        report.snapshots += response.snapshots.count
        report.received += response.changes.count
        if !groups.isEmpty { actions.append(.apply(groups)) }
        if let fetch = request?.fetch, !fetch.isEmpty {
            // Brought whole, or unknown; one that did not fit stays asked for.
            let brought = Set(response.snapshots.map(\.deal))
            let unknown = Set(response.unknownDeals ?? [])
            let answered = fetch.filter { brought.contains($0) || unknown.contains($0) }
            report.fetched += fetch.filter { brought.contains($0) }
            report.unknownDeals += fetch.filter { unknown.contains($0) && !brought.contains($0) }
            if !answered.isEmpty { actions.append(.fetchAnswered(answered)) }
        }
        if let request, request.cursor.isStart, response.snapshotsAfter == nil {
            report.closedDealDays = response.closedDealDays
            report.archivedDeals = response.archivedDeals
            actions.append(.recordFirstSync(closedDealDays: response.closedDealDays, archivedDeals: response.archivedDeals))
        }
        actions.append(.setCursor(response.cursor))
        report.cursor = response.cursor
        report.rounds += 1
        if let after = response.snapshotsAfter, let base = response.bootstrapCursor {
            firstSyncPage = FirstSyncPage(after: after, cursor: base)
        } else {
            firstSyncPage = nil
        }
        wait = 0
        return actions
    }

    /// The actions when the relay says the device's cursor is past its log.
    public mutating func cursorAhead() -> [Action] {
        firstSyncPage = nil
        return [.resetCursor]
    }

    /// The actions when the relay says the device's cursor is behind the history it
    /// compacted (`409 history_compacted`): sync again from 0, pulling before pushing.
    public mutating func historyCompacted() -> [Action] {
        firstSyncPage = nil
        pullsBeforePushing = true
        return [.resetCursor]
    }

    /// Makes this round's first sync pull before it pushes: for a device syncing from 0
    /// again after an earlier first sync (a re-sync after `history_compacted` that was cut
    /// off, or after `cursor_ahead`), whose outbox may hold changes made behind a horizon.
    public mutating func pullFirst() {
        pullsBeforePushing = true
    }

    /// Whether the round is over after `response`: nothing more waits on the relay, and the
    /// outbox is empty or the answer made no progress on it (nothing left that a retry now
    /// would change).
    public func isFinished(after response: SyncResponse, pushedCount: Int, remaining: Int) -> Bool {
        // A first sync after compaction pushed nothing on purpose: the outbox goes next.
        if resyncEnded && pushedCount == 0 && remaining > 0 { return false }
        let stalled = remaining >= pushedCount && response.accepted.isEmpty
        return !response.more && (remaining == 0 || stalled)
    }
}
