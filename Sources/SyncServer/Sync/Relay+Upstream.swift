import DealCardKit
import RelayClient
import SyncProtocol
import Foundation

extension Relay {
    /// Log entries pushed upstream per request (as a device's outbox batch).
    static let upstreamPushBatch = 500

    /// Pushes the local log entries the upstream relay has not had from here, and applies
    /// what it answers. Changes that came from upstream are not sent back; when nothing else
    /// is new, no request is made.
    ///
    /// - Returns: how many changes were pushed and how many new ones were pulled.
    /// - Throws: ``SyncProtocol/SyncError`` from the exchange or the answer; storage errors.
    func pushUpstream(_ connection: RelayConnection, _ configuration: UpstreamConfiguration, log: RelayLog) async throws
        -> (pushed: Int, pulled: Int) {
        try await exchangeUpstream(connection, configuration, pushing: true, log: log)
    }

    /// Asks upstream for what it has after the stored position, waiting up to the
    /// configuration's `pollSeconds` when it has nothing new (and no first-sync page waits).
    ///
    /// - Returns: how many new changes were pulled.
    func pullUpstream(_ connection: RelayConnection, _ configuration: UpstreamConfiguration, log: RelayLog) async throws -> Int {
        try await exchangeUpstream(connection, configuration, pushing: false, log: log).pulled
    }

    /// One request upstream, decided by a ``SyncProtocol/SyncRound`` as a device's would be: built
    /// from the stored position (and, when `pushing`, the log entries after it), its answer
    /// turned into actions that ``performUpstream(_:of:firstSyncPage:)`` carries out on this actor.
    private func exchangeUpstream(_ connection: RelayConnection, _ configuration: UpstreamConfiguration, pushing: Bool,
                                  log: RelayLog) async throws -> (pushed: Int, pulled: Int) {
        guard !isClosed else { throw Relay.closedError }
        if sync.upstreamDealership == nil {
            let whoami: WhoAmI = try await connection.get("v1/whoami", timeout: 10)
            guard !isClosed else { throw Relay.closedError }
            sync.upstreamDealership = whoami.dealership
        }
        let upstream = connection.baseURL.absoluteString
        let sentFrom = try storage.upstreamPosition(upstream: upstream) ?? .start
        var outbox = UpstreamOutbox.empty
        if pushing && sync.upstreamPullsFirst {
            // Syncing again from 0 after `history_compacted`: the pull loop takes the
            // upstream's documents first, so that nothing made on a state from before its
            // horizon is pushed for the upstream to refuse.
            return (0, 0)
        }
        if pushing {
            // Entries that cannot be loaded are set aside here too, never sent upstream.
            let records = try servable(storage.changes(after: sentFrom.pushedThrough, dealership: nil, dealIDs: nil,
                                                       documents: Set(DealDocumentKind.allCases), limit: Relay.upstreamPushBatch))
            let fromUpstream = sync.fromUpstream
            outbox = UpstreamOutbox(records: records) { fromUpstream.contains($0) }
            if outbox.items.isEmpty {
                // Everything new here came from upstream: nothing to send back.
                if let last = outbox.lastPosition {
                    var position = sentFrom
                    position.pushed(through: last, sentFrom: sentFrom)
                    try storage.saveUpstreamPosition(position, upstream: upstream)
                    for key in outbox.upstreamKeys(through: last) { sync.fromUpstream.remove(key) }
                }
                return (0, 0)
            }
        }
        var round = SyncRound(wait: pushing ? 0 : configuration.pollSeconds, firstSyncPage: sentFrom.firstSyncPage,
                              refusals: .quarantineEach)
        let request = round.request(outbox: outbox.items, cursor: sentFrom.cursor, localEditPending: false, limit: configuration.pageLimit)
        let exchange = UpstreamExchange(upstream: upstream, sentFrom: sentFrom, outbox: outbox, log: log)
        let answer = try await Relay.send(request, to: connection)
        guard !isClosed else { throw Relay.closedError }
        let response: SyncResponse
        switch answer {
        case .answered(let answered):
            response = answered
        case .historyCompacted(let reason):
            // The upstream's log no longer holds what came after our cursor: sync again from 0,
            // taking its compacted documents (``adoptUpstreamBase(_:dealership:deal:kind:log:at:)``);
            // what was pushed stays pushed.
            log.log("upstream_history_compacted", [
                "upstream": .string(upstream), "cursor": .integer(sentFrom.cursor.rawValue), "reason": .string(reason),
            ])
            var position = try storage.upstreamPosition(upstream: upstream) ?? .start
            if position.resync(sentFrom: sentFrom) { try storage.saveUpstreamPosition(position, upstream: upstream) }
            sync.upstreamPullsFirst = true
            return (0, 0)
        case .cursorAhead:
            log.log("upstream_cursor_reset", [
                "upstream": .string(upstream), "cursor": .integer(sentFrom.cursor.rawValue),
                "reason": .string("the upstream relay's log is shorter than this relay's cursor (its data was replaced); "
                    + "syncing again from cursor 0 and pushing this relay's log again"),
            ])
            _ = try performUpstream(round.cursorAhead(), of: exchange)
            return (0, 0)
        }
        let actions = try round.receive(response, pushed: outbox.items)
        let pulled = try performUpstream(actions, of: exchange, firstSyncPage: round.firstSyncPage)
        // A pull from 0 whose answer ended the first sync: pushing may go on.
        if !pushing && sentFrom.cursor.isStart && round.firstSyncPage == nil { sync.upstreamPullsFirst = false }
        return (outbox.items.count, pulled)
    }

    /// What the upstream answered a sync request.
    private enum UpstreamAnswer {
        case answered(SyncResponse)
        /// `409 cursor_ahead`: its data was replaced.
        case cursorAhead
        /// `409 history_compacted`, with the upstream's message.
        case historyCompacted(String)
    }

    /// Sends a sync request upstream.
    private static func send(_ request: SyncRequest, to connection: RelayConnection) async throws(SyncError) -> UpstreamAnswer {
        do {
            return .answered(try await connection.post("v1/sync", request, timeout: TimeInterval(max(60, request.wait + 30))))
        } catch where error.isCursorAhead {
            return .cursorAhead
        } catch where error.isHistoryCompacted {
            return .historyCompacted("\(error)")
        }
    }

    /// Runs the upstream loops until cancelled: a push loop woken by local commits, and a
    /// long-poll pull loop. Failures are logged (`upstream_push_failed`,
    /// `upstream_pull_failed`) and retried with backoff; the relay keeps serving its devices
    /// meanwhile (the showroom keeps working while the dealership's internet is down).
    ///
    /// Positions are kept in the store; an `upstream.json` left in `dataDirectory` by an
    /// older build is moved into it first.
    public func runUpstream(_ configuration: UpstreamConfiguration, dataDirectory: String, log: RelayLog) async {
        let connection = RelayConnection(baseURL: configuration.url, token: configuration.token)
        adoptLegacyUpstreamFile(in: dataDirectory, upstream: connection.baseURL.absoluteString, log: log)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var failures = 0
                while !Task.isCancelled {
                    do {
                        let (pushed, _) = try await self.pushUpstream(connection, configuration, log: log)
                        failures = 0
                        if pushed == 0 { await self.waitForAnyCommit(seconds: 1) }
                    } catch {
                        failures += 1
                        log.log("upstream_push_failed", ["error": .string("\(error)")])
                        try? await Task.sleep(for: .seconds(SyncBackoff.delay(attempt: failures, maxDelay: 10)))
                    }
                }
            }
            group.addTask {
                var failures = 0
                while !Task.isCancelled {
                    do {
                        _ = try await self.pullUpstream(connection, configuration, log: log)
                        failures = 0
                    } catch {
                        failures += 1
                        log.log("upstream_pull_failed", ["error": .string("\(error)")])
                        try? await Task.sleep(for: .seconds(SyncBackoff.delay(attempt: failures, maxDelay: 10)))
                    }
                }
            }
        }
    }
}
