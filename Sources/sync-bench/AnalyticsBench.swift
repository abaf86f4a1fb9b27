import CRDT
import DealCardKit
import HTTP1
import RelayClient
import SyncProtocol
import SyncServer
import Foundation

/// `sync-bench analytics`: `GET /v1/analytics` over `deals` small deals, and what it costs
/// everyone else.
///
/// The deals are written straight into the relay's store before it starts (one change each
/// from a sales PC, a second from a phone for every third, author times spread over 60 days),
/// so setup is quick; a relay that keeps analytics rows computes them once at its start, and
/// the first request waits for that (`first_request_ms`). Then, in this process:
///
/// 1. `GET /v1/analytics` latency over `requests` requests, one after the other;
/// 2. `/healthz` and a small `POST /v1/sync` round (one price edit pushed, the news pulled)
///    probed every 20 ms for `seconds` seconds: first alone (the baseline), then while a child
///    process (`sync-bench analytics-poller`) asks for analytics every second.
///
/// One JSON line per figure, the load figures with their ratio to the baseline.
func benchAnalytics(deals: Int, requests: Int, seconds: Int) async throws {
    let folder = try BenchFolder("analytics")
    defer { folder.remove() }
    let relayFolder = folder.sub("relay")
    let setupStarted = DispatchTime.now().uptimeNanoseconds
    let live = try AnalyticsBenchDeals.write(deals, into: relayFolder)
    let setupMilliseconds = Double(DispatchTime.now().uptimeNanoseconds - setupStarted) / 1_000_000

    let server = try RelayServer(configuration: .init(dataDirectory: relayFolder, port: 0), log: .discarding)
    let url = try server.start()
    do {
        let head = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "boss", role: "head", dealership: "north")).secret.text
        let salesToken = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "olga", role: "sales", dealership: "north",
                                                       device: AnalyticsBenchDeals.liveDevice)).secret.text
        let client = SocketHTTPClient()
        let analyticsURL = URL(string: url + "/v1/analytics")!
        func analytics() async throws -> (ms: Double, bytes: Int) {
            var bytes = 0
            let ms = try await milliseconds {
                let answer = try await client.send(method: "GET", url: analyticsURL, headers: ["Authorization": "Bearer \(head)"], body: [],
                                                   timeout: 600)
                guard answer.status == 200 else { throw BenchError("GET /v1/analytics answered \(answer.status)") }
                bytes = answer.body.count
            }
            return (ms, bytes)
        }
        let first = try await analytics()
        var latencies: [Double] = []
        for _ in 0..<requests { latencies.append(try await analytics().ms) }
        let sorted = latencies.sorted()
        report([
            "bench": "relay.analytics.setup", "deals": deals, "setup_ms": round2(setupMilliseconds),
            "first_request_ms": round2(first.ms), "answer_bytes": first.bytes,
        ])
        report([
            "bench": "relay.analytics.latency", "deals": deals, "requests": requests, "median_ms": round2(median(latencies)),
            "p99_ms": round2(percentile(sorted, 0.99)), "max_ms": round2(sorted.last ?? 0),
        ])

        let probe = LiveProbe(url: url, token: salesToken, live: live)
        let baseline = try await probe.window(seconds: seconds)
        let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let child = try ChildProcess(executable: executable, arguments: ["analytics-poller", "--url", url, "--token", head])
        guard await child.readLine() == "ready" else {
            _ = await child.closeInputAndWait()
            throw BenchError("the analytics-poller child did not get ready")
        }
        let loaded = try await probe.window(seconds: seconds)
        _ = await child.closeInputAndWait()
        let polls = await child.readLine()
        for (name, before, during) in [("healthz", baseline.healthz, loaded.healthz), ("sync_round", baseline.sync, loaded.sync)] {
            let beforeSorted = before.sorted()
            let duringSorted = during.sorted()
            report([
                "bench": "relay.analytics.\(name)_under_analytics_load", "deals": deals, "seconds": seconds,
                "baseline_requests": before.count, "baseline_median_ms": round2(median(before)),
                "baseline_p99_ms": round2(percentile(beforeSorted, 0.99)),
                "loaded_requests": during.count, "loaded_median_ms": round2(median(during)),
                "loaded_p99_ms": round2(percentile(duringSorted, 0.99)), "loaded_max_ms": round2(duringSorted.last ?? 0),
                "p99_vs_baseline": ratio(percentile(duringSorted, 0.99), percentile(beforeSorted, 0.99)),
            ])
        }
        if let polls, let fields = try? JSONSerialization.jsonObject(with: Data(polls.utf8)) as? [String: Any] {
            var line: [String: Any] = ["bench": "relay.analytics.poller", "deals": deals]
            for (key, value) in fields { line[key] = value }
            report(line)
        }
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// The bench's deals, written through the storage API in a few large transactions.
enum AnalyticsBenchDeals {
    static let pc = ChangeAuthor(user: "olga", role: .sales, device: "bench-pc", channel: .pc, time: 0)
    static let phone = ChangeAuthor(user: "olga", role: .sales, device: "bench-phone", channel: .phone, time: 0)
    static let liveDevice = "bench-live"
    static let states = ["lead", "active", "onHold", "won", "lost"]

    /// The deal the sync-round probe edits, as its device holds it.
    struct Live {
        var deal: DealID
        var document: Document
        var cursor: LogPosition
    }

    /// Writes `count` deals into a new relay store in `directory` (closed again on return).
    static func write(_ count: Int, into directory: String) throws -> Live {
        let storage = try SQLiteRelayStorage(directory: directory)
        defer { storage.close() }
        let now = Date()
        let nowMilliseconds = Int64(now.timeIntervalSince1970 * 1000)
        let schema = DealSchema.standard
        let editor = CardEditor(schema: schema, role: .sales)
        let pcReplica = ReplicaID(0xB0_0001)
        let phoneReplica = ReplicaID(0xB0_0002)
        var commit = PushCommit(bindings: [
            ReplicaBinding(replica: pcReplica, device: pc.device, user: pc.user, boundAt: now),
            ReplicaBinding(replica: phoneReplica, device: phone.device, user: phone.user, boundAt: now),
        ])
        var live: Live?
        func entry(_ deal: DealID, _ change: Change, _ author: ChangeAuthor) -> NewLogEntry {
            NewLogEntry(dealership: "north", deal: deal, document: .shared, replica: change.replica, changeSequence: change.seq,
                        blob: change.encoded(), author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel),
                        receivedAt: now)
        }
        for index in 0..<count {
            let deal = DealFixture.id(index, prefix: "b")
            let document = Document(replica: pcReplica)
            var author = pc
            author.time = nowMilliseconds - Int64(index % 60) * 86_400_000 - Int64(index % 1_000) * 1_000
            let created = try document.change(metadata: author.encoded()) { tx in
                try editor.createContainers(document: .shared, in: document, tx)
                try editor.set("vehicle.model", .text(DealFixture.models[index % DealFixture.models.count]), in: document, tx)
                try editor.set("vehicle.trim", .text(DealFixture.trims[index % DealFixture.trims.count]), in: document, tx)
                if index % 5 != 0 { try editor.set("status.state", .enumCase(states[index % states.count]), in: document, tx) }
                if index % 7 == 0 { try editor.skip(.tradeIn, true, document: .shared, in: document, tx) }
            }!
            commit.deals.append(DealRecord(id: deal, dealership: "north", createdAt: now, createdBy: pc.user))
            commit.entries.append(entry(deal, created, author))
            if index % 3 == 0 {
                let forked = document.fork(as: phoneReplica)
                var later = phone
                later.time = author.time + 3_600_000
                let edited = try forked.change(metadata: later.encoded()) { tx in
                    try editor.set("vehicle.color", .text(DealFixture.colors[index % DealFixture.colors.count]), in: forked, tx)
                }!
                document.apply([edited])
                commit.entries.append(entry(deal, edited, later))
            }
            if index == 0 { live = Live(deal: deal, document: document.fork(as: .random()), cursor: .start) }
            if commit.entries.count >= 5_000 || index == count - 1 {
                _ = try storage.commitPush(commit)
                commit = PushCommit()
            }
        }
        guard var live else { throw BenchError("no deals written") }
        live.cursor = try storage.latestPosition
        return live
    }
}

/// `/healthz` and a small sync round, probed in turn every 20 ms.
final class LiveProbe: @unchecked Sendable {
    private let client = SocketHTTPClient()
    private let healthz: URL
    private let connection: RelayConnection
    private var live: AnalyticsBenchDeals.Live
    private var edits = 0

    init(url: String, token: String, live: AnalyticsBenchDeals.Live) {
        healthz = URL(string: url + "/healthz")!
        connection = RelayConnection(baseURL: URL(string: url)!, token: token)
        self.live = live
    }

    /// Probes for `seconds` seconds; the latencies in milliseconds.
    func window(seconds: Int) async throws -> (healthz: [Double], sync: [Double]) {
        var healthzTimes: [Double] = []
        var syncTimes: [Double] = []
        let end = DispatchTime.now().uptimeNanoseconds + UInt64(seconds) * 1_000_000_000
        while DispatchTime.now().uptimeNanoseconds < end {
            healthzTimes.append(try await milliseconds {
                let status = try await client.send(method: "GET", url: healthz, headers: [:], body: [], timeout: 600).status
                guard status == 200 else { throw BenchError("GET /healthz answered \(status)") }
            })
            syncTimes.append(try await milliseconds { try await syncRound() })
            try await Task.sleep(for: .milliseconds(20))
        }
        return (healthzTimes, syncTimes)
    }

    /// One price edit of the live deal pushed, and the news since the last round pulled.
    private func syncRound() async throws {
        edits += 1
        let author = ChangeAuthor(user: "olga", role: .sales, device: AnalyticsBenchDeals.liveDevice, channel: .pc,
                                  time: Int64(Date().timeIntervalSince1970 * 1000))
        let editor = CardEditor(schema: .standard, role: .sales)
        let (path, value) = DealFixture.edit(edits)
        let document = live.document
        let change = try document.change(metadata: author.encoded()) { tx in try editor.set(path, value, in: document, tx) }!
        let answer: SyncResponse = try await connection.post("v1/sync", SyncRequest(
            cursor: live.cursor, push: [PushedChange(deal: live.deal, document: .shared, change: change.encoded())]), timeout: 600)
        guard answer.accepted.count == 1 else { throw BenchError("the sync round's edit was not accepted: \(answer.refused)") }
        live.cursor = answer.cursor
    }
}

/// The child of `sync-bench analytics`: asks `GET /v1/analytics` every second (or as soon as
/// the previous answer came, when one takes longer) until its standard input closes, then
/// prints one JSON line with the answers' latencies.
enum AnalyticsPoller {
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func run(url: String, token: String) async -> Int32 {
        let stopped = StopFlag()
        Thread.detachNewThread {
            while Swift.readLine() != nil {}
            stopped.set()
        }
        let client = SocketHTTPClient()
        let target = URL(string: url + "/v1/analytics")!
        var latencies: [Double] = []
        var failures = 0
        emit("ready")
        while !stopped.isSet {
            let started = DispatchTime.now().uptimeNanoseconds
            let status = try? await client.send(method: "GET", url: target, headers: ["Authorization": "Bearer \(token)"], body: [],
                                                timeout: 600).status
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            if status == 200 { latencies.append(Double(elapsed) / 1_000_000) } else { failures += 1 }
            if elapsed < 1_000_000_000 { try? await Task.sleep(for: .nanoseconds(Int(1_000_000_000 - elapsed))) }
        }
        let sorted = latencies.sorted()
        let result: [String: Any] = [
            "polls": latencies.count, "failed_polls": failures, "median_ms": round2(median(latencies)),
            "max_ms": round2(sorted.last ?? 0),
        ]
        emit(jsonLine(result))
        return 0
    }
}

/// A flag set once from another thread.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
