import CRDT
import DealCardKit
import Foundation
import RelayClient
import SyncProtocol
import SyncServer

/// Rounds measured per watcher count (after one round that warms up): enough for the
/// per-round figures (the last watcher's answer, the pusher's round) to have a p99 that is
/// not just the one worst round of five.
private let fanOutRounds = 20

/// `sync-bench relay --watchers N,...`: N live watchers of one dealership long-poll
/// `POST /v1/sync` from another process (`sync-bench watch-fanout`); one sales device pushes
/// one change. Reported per N, over `fanOutRounds` pushes (the watchers poll again at the
/// new cursor after each, as live devices do): the time from the push being sent to each
/// watcher's answer (p50, p99, max over every answer of every round), the time to the last
/// watcher's answer of each round (p50, p99, max over the rounds), and the pusher's own round
/// against its round with nobody watching, one of which is pushed in every round just before
/// the watchers poll again (the same connections open, idle), so that both see the same
/// machine: on a shared machine a baseline taken minutes earlier is another machine.
///
/// The watchers all use one sales token (one visibility: what the whole showroom's staff
/// watch); the pusher pushes by hand (a deal-scoped sales token, a change made on the
/// relay's snapshot), so that its round is the relay's work and the HTTP round trip alone.
///
/// With `postgres`, the relay nodes serve that database: the pusher and the deal's owner use
/// the node at `relayURL`, the watchers the node at `port` (another node: the fan-out then
/// crosses the database's notifications), whose `metrics` count its long-polls.
func benchFanOut(relayURL: String, port: Int, relayFolder: String, postgres: String? = nil, folder: BenchFolder, metrics: RelayMetrics,
                 watcherCounts: [Int], label: String? = nil) async throws {
    let limit = raiseFileDescriptorLimit()
    let most = watcherCounts.max() ?? 0
    guard limit >= most + 256 else {
        throw BenchError("--watchers \(most) needs \(most + 256) file descriptors; RLIMIT_NOFILE allows \(limit). Raise the hard limit (ulimit -Hn) or ask for fewer.")
    }
    let owner = try BenchDevice(name: "fanout-owner", dealership: "north", relayURL: relayURL, relayFolder: relayFolder, postgres: postgres, folder: folder)
    let deal = DealID("fanout-deal")!
    try await owner.store.createDeal(id: deal, values: DealFixture.values(0))
    try await owner.session.sync()
    await owner.store.close()
    var pusher = try await FanOutPusher(relayURL: relayURL, relayFolder: relayFolder, postgres: postgres, deal: deal)
    let watcherToken = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "watcher", role: "sales", dealership: "north",
                                                     postgres: postgres)).secret.text

    // Warms the pusher's connection and the relay's document of the deal.
    for _ in 0..<3 { _ = try await pusher.push() }
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    for count in watcherCounts {
        let child = try ChildProcess(executable: executable, arguments: [
            "watch-fanout", "--port", String(port), "--token", watcherToken, "--count", String(count), "--wait", "30",
        ])
        guard await child.readLine() == "connected \(count)" else {
            _ = await child.closeInputAndWait()
            throw BenchError("the watch-fanout child could not open \(count) connections")
        }
        var latencies: [Double] = []
        var lastAnswers: [Double] = []
        var baseline: [Double] = []
        var rounds: [Double] = []
        var answers = 0, ok = 0, withChange = 0, failed = 0, distinctBodies = 0
        let wakeupsBefore = metrics.longPollWakeups.value
        let builtBefore = metrics.longPollAnswersBuilt.value
        for round in 0...fanOutRounds {
            // Nobody long-polls now (the last round's watchers were all answered): the baseline.
            let alone = try await pusher.push()
            if round > 0 { baseline.append(alone) }
            child.write("arm \(pusher.cursor.rawValue)\n")
            guard await child.readLine() == "armed" else { throw BenchError("the watch-fanout child did not arm") }
            try await waitForLongPolls(metrics, count)
            let sentAt = monotonicNanoseconds()
            let ms = try await pusher.push()
            child.write("pushed \(sentAt)\n")
            guard let line = await child.readLine(),
                  let result = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let times = result["latencies_us"] as? [NSNumber] else {
                throw BenchError("the watch-fanout child printed no result")
            }
            guard round > 0 else { continue }
            rounds.append(ms)
            let answerTimes = times.map { $0.doubleValue / 1_000 }
            latencies += answerTimes
            lastAnswers.append(answerTimes.max() ?? 0)
            answers += result["answers"] as? Int ?? 0
            ok += result["ok"] as? Int ?? 0
            withChange += result["with_change"] as? Int ?? 0
            failed += result["failed"] as? Int ?? 0
            distinctBodies = max(distinctBodies, result["distinct_bodies"] as? Int ?? 0)
        }
        let status = await child.closeInputAndWait()
        let sorted = latencies.sorted()
        let lastSorted = lastAnswers.sorted()
        let roundsSorted = rounds.sorted()
        let baselineSorted = baseline.sorted()
        report([
            "bench": "relay.fanout", "store": label ?? "sqlite", "watchers": count, "rounds": fanOutRounds, "answers": answers, "answers_ok": ok,
            "answers_with_change": withChange, "answers_failed": failed, "distinct_bodies_per_round": distinctBodies,
            "answer_p50_ms": round2(quantile(sorted, 0.5)), "answer_p99_ms": round2(quantile(sorted, 0.99)),
            "answer_max_ms": round2(sorted.last ?? 0),
            "last_answer_p50_ms": round2(quantile(lastSorted, 0.5)), "last_answer_p99_ms": round2(quantile(lastSorted, 0.99)),
            "last_answer_max_ms": round2(lastSorted.last ?? 0),
            "pusher_round_median_ms": round2(median(rounds)), "pusher_round_p99_ms": round2(quantile(roundsSorted, 0.99)),
            "pusher_baseline_median_ms": round2(median(baseline)), "pusher_baseline_p99_ms": round2(quantile(baselineSorted, 0.99)),
            "pusher_delay_ms": round2(median(rounds) - median(baseline)),
            "pusher_delay_p99_ms": round2(quantile(roundsSorted, 0.99) - quantile(baselineSorted, 0.99)),
            "wakeups_per_round": (metrics.longPollWakeups.value - wakeupsBefore) / Double(fanOutRounds + 1),
            "answers_built_per_round": (metrics.longPollAnswersBuilt.value - builtBefore) / Double(fanOutRounds + 1),
            "child_exit_status": Int(status),
            "note": "answer times run from the push being sent to each watcher's whole answer read in the other process; last_answer is each round's slowest; the pusher's baseline is a push in each round with nobody long-polling; one sales token for every watcher",
        ])
    }
}

/// Waits until `count` long-polls are filed on the relay (at most 120 s).
private func waitForLongPolls(_ metrics: RelayMetrics, _ count: Int) async throws {
    let deadline = ContinuousClock.now + .seconds(120)
    while metrics.longPollsWaiting.value < Double(count) {
        guard ContinuousClock.now < deadline else {
            throw BenchError("only \(Int(metrics.longPollsWaiting.value)) of \(count) long-polls were filed")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// The `fraction` quantile of ascending `values` (nearest rank).
private func quantile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * fraction).rounded(.up)) - 1))]
}

/// The fan-out bench's pushing device: one change a round, made by hand on the relay's
/// snapshot of its deal and pushed with a deal-scoped sales token.
private struct FanOutPusher {
    let connection: RelayConnection
    let document: Document
    let deal: DealID
    let metadata: [UInt8]
    /// Where the pusher has read up to: the relay's log position after its last push.
    private(set) var cursor: LogPosition
    private var edits = 0

    init(relayURL: String, relayFolder: String, postgres: String? = nil, deal: DealID) async throws {
        let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "pusher", role: "sales", dealership: "north",
                                                  device: "bench-pusher", deal: deal.rawValue, postgres: postgres)).secret.text
        connection = RelayConnection(baseURL: URL(string: relayURL)!, token: token)
        let first: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
        guard let snapshot = first.snapshots.first(where: { $0.deal == deal && $0.document == .shared }),
              let bytes = decodeBase64(snapshot.snapshot) else { throw BenchError("the pusher got no snapshot of \(deal)") }
        document = try Document(snapshot: bytes, replica: .random())
        self.deal = deal
        cursor = first.cursor
        metadata = ChangeAuthor(user: "pusher", role: .sales, device: "bench-pusher", channel: .pc, time: 1_700_000_000_000).encoded()
    }

    /// Pushes one change; returns the round's milliseconds.
    mutating func push() async throws -> Double {
        edits += 1
        let trim = "Trim \(edits)"
        guard let change = try document.change(metadata: metadata, { tx in try tx.put(.root, "vehicle.trim", .string(trim)) }) else {
            throw BenchError("the pusher's edit made no change")
        }
        let request = SyncRequest(cursor: cursor, push: [PushedChange(deal: deal, document: .shared, change: change.encoded())])
        let connection = self.connection
        var answer: SyncResponse?
        let ms = try await milliseconds { answer = try await connection.post("v1/sync", request) }
        guard let answer, answer.accepted.count == 1 else { throw BenchError("the pusher's change was not accepted: \(String(describing: answer?.refused))") }
        cursor = answer.cursor
        return ms
    }
}
