import CRDT
import Foundation
import SyncCore

extension Relay {
    /// Pushes local log entries the upstream relay has not had from here, and applies what
    /// it answers. Changes that came from upstream are not sent back.
    ///
    /// - Returns: how many changes were pushed and how many new ones were pulled.
    func pushUpstream(_ connection: RelayConnection, statePath: String) async throws -> (pushed: Int, pulled: Int) {
        guard !isClosed else { throw Relay.closedError }
        var state = UpstreamState.load(from: statePath)
        let records = try storage.changes(after: state.pushedThrough, dealership: nil, dealIDs: nil, documents: Set(DealDocumentKind.allCases), limit: 500)
        let fresh = records.filter { !sync.fromUpstream.contains(upstreamKey($0.entry)) }
        let push = fresh.compactMap { record in
            DealID(record.entry.deal).map { PushedChange(deal: $0, document: record.entry.document, change: record.entry.blob) }
        }
        guard let last = records.last else { return (0, 0) }
        if push.isEmpty {
            // Everything new here came from upstream: nothing to send back.
            for record in records { sync.fromUpstream.remove(upstreamKey(record.entry)) }
            state.pushedThrough = max(state.pushedThrough, last.sequence)
            state.save(to: statePath)
            return (0, 0)
        }
        let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: state.pullCursor, push: push), timeout: 60)
        guard !isClosed else { throw Relay.closedError }
        for refusal in response.refused {
            // Accepted here, refused upstream: kept in this relay's quarantine for an operator.
            _ = try? storage.insertQuarantine(QuarantineEntry(
                deal: refusal.ref.deal.rawValue, document: refusal.ref.document, replica: refusal.ref.changeID?.replica.rawValue ?? 0,
                changeSequence: refusal.ref.seq, blob: [], senderUser: "upstream", senderDevice: connection.baseURL.absoluteString,
                reason: "refused upstream: \(refusal.code): \(refusal.reason)", quarantinedAt: Date()))
        }
        for record in records { sync.fromUpstream.remove(upstreamKey(record.entry)) }
        state = UpstreamState.load(from: statePath)
        state.pushedThrough = max(state.pushedThrough, last.sequence)
        state.save(to: statePath)
        let pulled = try applyUpstream(response, statePath: statePath)
        return (push.count, pulled)
    }

    /// Asks upstream for what it has after the saved cursor, waiting up to `wait` seconds.
    func pullUpstream(_ connection: RelayConnection, statePath: String, wait: Int) async throws -> Int {
        let cursor = UpstreamState.load(from: statePath).pullCursor
        let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: cursor, push: [], wait: wait),
                                                              timeout: TimeInterval(wait + 30))
        return try applyUpstream(response, statePath: statePath)
    }

    /// Appends upstream changes this relay lacks to its own log (trusted: upstream validated
    /// them), then saves the cursor and wakes local long-polls.
    private func applyUpstream(_ response: SyncResponse, statePath: String) throws -> Int {
        guard !isClosed else { throw Relay.closedError }
        var incoming: [(DealID, DealDocumentKind, Change, [UInt8])] = []
        for snapshot in response.snapshots {
            guard let bytes = decodeBase64(snapshot.snapshot) else { continue }
            for change in try Change.decodeSnapshot(bytes) { incoming.append((snapshot.deal, snapshot.document, change, change.encoded())) }
        }
        for logged in response.changes {
            guard let bytes = decodeBase64(logged.change) else { continue }
            incoming.append((logged.deal, logged.document, try Change(encoded: bytes), bytes))
        }
        var entries: [NewLogEntry] = []
        var touched: Set<RelaySyncState.DocumentKey> = []
        let now = Date()
        do {
        let dealership = sync.upstreamDealership ?? ""
        for (deal, kind, change, bytes) in incoming {
            let author = SyncCore.ChangeAuthor(metadata: change.metadata)
            if try storage.deal(dealership: dealership, id: deal.rawValue) == nil {
                try storage.insertDeal(DealRecord(id: deal.rawValue, dealership: dealership,
                                                  buyerUser: author?.role == .buyer ? author?.user : nil, createdAt: now,
                                                  createdBy: author?.user ?? "upstream"))
            }
            let document = try self.document(dealership, deal.rawValue, kind)
            guard change.seq > document.version[change.replica], !document.pendingChanges.contains(change.id) else { continue }
            let report = document.apply([change])
            if let failure = report.refused.first {
                // The upstream relay sent a change the engine refuses: kept for an operator,
                // never logged here (it would poison this relay's copy of the deal).
                _ = try? storage.insertQuarantine(QuarantineEntry(
                    deal: deal.rawValue, document: kind, replica: change.replica.rawValue, changeSequence: change.seq, blob: bytes,
                    senderUser: "upstream", senderDevice: "upstream", reason: "refused from upstream: \(failure)", quarantinedAt: now))
                continue
            }
            touched.insert(RelaySyncState.DocumentKey(dealership: dealership, deal: deal.rawValue, kind: kind))
            let entry = NewLogEntry(dealership: dealership, deal: deal.rawValue, document: kind, replica: change.replica.rawValue, changeSequence: change.seq,
                                    blob: bytes, author: LogAuthor(user: author?.user ?? "upstream", role: author?.role ?? .integration,
                                                                   device: author?.device ?? "upstream", channel: author?.channel ?? .integration),
                                    receivedAt: now)
            entries.append(entry)
            sync.fromUpstream.insert(upstreamKey(entry))
        }
        if !entries.isEmpty {
            _ = try storage.appendChanges(entries)
            announce()
        }
        } catch {
            // Memory must match the log: forget what this batch touched, whatever failed.
            for key in touched { sync.cache.remove(key) }
            for entry in entries { sync.fromUpstream.remove(upstreamKey(entry)) }
            throw error
        }
        var state = UpstreamState.load(from: statePath)
        state.pullCursor = max(state.pullCursor, response.cursor)
        state.save(to: statePath)
        return entries.count
    }

    private func upstreamKey(_ entry: NewLogEntry) -> String {
        "\(entry.deal)/\(entry.document.rawValue)/\(entry.replica)/\(entry.changeSequence)"
    }

    /// Records the dealership the upstream token belongs to (new deals pulled from upstream
    /// are filed under it).
    func setUpstreamDealership(_ dealership: String) {
        sync.upstreamDealership = dealership
    }

    /// Runs the upstream loops until cancelled: a push loop woken by local commits, and a
    /// long-poll pull loop. Failures are retried with backoff; the relay keeps serving its
    /// devices meanwhile (the showroom keeps working while the dealership's internet is down).
    public func runUpstream(_ configuration: UpstreamConfiguration, dataDirectory: String, log: RelayLog) async {
        let connection = RelayConnection(baseURL: configuration.url, token: configuration.token)
        let statePath = dataDirectory + "/upstream.json"
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var failures = 0
                while !Task.isCancelled {
                    do {
                        if await self.upstreamDealershipKnown() == false {
                            let whoami: WhoAmI = try await connection.get("v1/whoami", timeout: 10)
                            await self.setUpstreamDealership(whoami.dealership)
                        }
                        let (pushed, _) = try await self.pushUpstream(connection, statePath: statePath)
                        failures = 0
                        if pushed == 0 { await self.waitForNews(seconds: 1) }
                    } catch {
                        failures += 1
                        log.log("upstream_push_failed", ["error": .string("\(error)")])
                        try? await Task.sleep(for: .seconds(SyncSession.backoff(attempt: failures, maxDelay: 10)))
                    }
                }
            }
            group.addTask {
                var failures = 0
                while !Task.isCancelled {
                    do {
                        if await self.upstreamDealershipKnown() == false {
                            try? await Task.sleep(for: .milliseconds(100))
                            continue
                        }
                        _ = try await self.pullUpstream(connection, statePath: statePath, wait: configuration.pollSeconds)
                        failures = 0
                    } catch {
                        failures += 1
                        log.log("upstream_pull_failed", ["error": .string("\(error)")])
                        try? await Task.sleep(for: .seconds(SyncSession.backoff(attempt: failures, maxDelay: 10)))
                    }
                }
            }
        }
    }

    private func upstreamDealershipKnown() -> Bool { sync.upstreamDealership != nil }
}
