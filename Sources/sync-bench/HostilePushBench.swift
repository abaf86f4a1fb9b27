import CRDT
import DealCardKit
import HTTP1
import RelayClient
import SyncCore
import SyncProtocol
import SyncServer
import Foundation

/// `sync-bench hostile`: a buyer's client (a child process, `sync-bench hostile-pusher`)
/// sends one push of `ops` record inserts spread over `deals` of its deals, as a hostile
/// client did, and goes on sending what the relay left unanswered. Meanwhile this process
/// asks `GET /healthz` every 10 ms. The relay runs in this process, so /proc/self is its.
///
/// Prints the push's time and rounds, what was accepted and refused, the relay's RSS
/// before, after and at its peak, and `/healthz` latency during the push against a baseline
/// measured just before it.
func benchHostilePush(ops: Int, deals: Int) async throws {
    let folder = try BenchFolder("hostile")
    defer { folder.remove() }
    let relayFolder = folder.sub("relay")
    let server = try RelayServer(configuration: .init(dataDirectory: relayFolder, port: 0), log: .discarding)
    let url = try server.start()
    let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "mallory", role: "buyer", dealership: "north",
                                              device: "mallory-web")).secret.text
    let identity = DeviceIdentity(user: "mallory", role: .buyer, dealership: "north", device: "mallory-web", channel: .web,
                                  server: url, token: token)
    let store = try DeviceStore(creatingAt: folder.sub("device"), identity: identity)
    var ids: [String] = []
    for _ in 0..<deals { ids.append(try await store.createDeal(values: ["vehicle.model": .text("Camry")]).rawValue) }
    try await SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: url)!, token: token)).sync()

    let healthz = URL(string: url + "/healthz")!
    let client = SocketHTTPClient()
    func probe() async throws -> Double {
        try await milliseconds {
            let status = try await client.send(method: "GET", url: healthz, headers: [:], body: [], timeout: 30).status
            guard status == 200 else { throw BenchError("GET /healthz answered \(status)") }
        }
    }
    var baseline: [Double] = []
    for _ in 0..<100 { baseline.append(try await probe()) }
    let rssBefore = residentKiB()

    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let child = try ChildProcess(executable: executable, arguments: [
        "hostile-pusher", "--url", url, "--token", token, "--deal-ids", ids.joined(separator: ","), "--ops", String(ops),
    ])
    guard await child.readLine() == "ready" else {
        _ = await child.closeInputAndWait()
        throw BenchError("the hostile-pusher child did not get ready")
    }
    child.write("go\n")
    // Probe while the child pushes; its one result line ends the loop.
    let result = Task { await child.readLine() }
    var during: [Double] = []
    let finished = ManagedFlag()
    Task { _ = await result.value; finished.set() }
    while !finished.isSet {
        during.append(try await probe())
        try await Task.sleep(for: .milliseconds(10))
    }
    guard let line = await result.value, let answer = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        _ = await child.closeInputAndWait()
        throw BenchError("the hostile-pusher child printed no result")
    }
    let status = await child.closeInputAndWait()
    let sorted = during.sorted()
    var fields: [String: Any] = [
        "bench": "relay.hostile_push", "ops": ops, "deals": deals,
        "healthz_baseline_median_ms": round2(median(baseline)), "healthz_baseline_max_ms": round2(baseline.max() ?? 0),
        "healthz_during_median_ms": round2(median(during)), "healthz_during_p99_ms": round2(percentile(sorted, 0.99)),
        "healthz_during_max_ms": round2(sorted.last ?? 0), "healthz_during_requests": during.count,
        "healthz_during_vs_baseline": ratio(median(during), median(baseline)),
        "relay_rss_before_mib": round2(rssBefore / 1024), "relay_rss_after_mib": round2(residentKiB() / 1024),
        "relay_peak_rss_mib": peakResidentMiB(), "child_exit_status": Int(status),
    ]
    for (key, value) in answer { fields["push_" + key] = value }
    report(fields)
    await server.stop()
}

/// A flag set once from another task.
private final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// The child of `sync-bench hostile`: makes `ops` record inserts on the given deals (changes
/// of at most ``CardBudget/opsPerChange`` ops, as the relay allows), sends them in one push,
/// then sends again whatever the answer left out, until every item is answered. Prints
/// `ready`, waits for a line on standard input, then prints one JSON result line.
enum HostilePusher {
    /// Writes one line to standard output at once (unbuffered).
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func run(url: String, token: String, dealIDs: [String], ops: Int) async -> Int32 {
        var ready = false
        do {
            let connection = RelayConnection(baseURL: URL(string: url)!, token: token)
            let author = ChangeAuthor(user: "mallory", role: .buyer, device: "mallory-web", channel: .web, time: 1_700_000_000_000)
            let first: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
            var push: [PushedChange] = []
            let perDeal = ops / max(dealIDs.count, 1)
            for id in dealIDs {
                guard let deal = DealID(id), let snapshot = first.snapshots.first(where: { $0.deal == deal && $0.document == .shared }),
                      let bytes = decodeBase64(snapshot.snapshot) else { throw BenchError("no snapshot of \(id)") }
                let document = try Document(snapshot: bytes, replica: .random())
                guard case .object(let list, _)? = try document.get(.root, "conversation.messages") else {
                    throw BenchError("deal \(id) has no conversation.messages list")
                }
                var made = 0
                while made < perDeal {
                    let size = min(CardBudget.standard.opsPerChange, perDeal - made)
                    let change = try document.change(metadata: author.encoded()) { tx in
                        let start = try document.length(list)
                        for index in 0..<size { _ = try tx.insertObject(list, at: start + index, .map) }
                    }!
                    push.append(PushedChange(deal: deal, document: .shared, change: change.encoded()))
                    made += size
                }
            }
            emit("ready")
            ready = true
            _ = Swift.readLine()
            let started = DispatchTime.now().uptimeNanoseconds
            var rounds = 0
            var accepted = 0
            var refused: [String: Int] = [:]
            var remaining = push
            var requestBytes = 0
            while !remaining.isEmpty {
                rounds += 1
                let request = SyncRequest(cursor: 1, push: remaining)
                if rounds == 1 { requestBytes = try JSONEncoder().encode(request).count }
                let answer: SyncResponse = try await connection.post("v1/sync", request, timeout: 600)
                let answered = answer.accepted.count + answer.refused.count
                guard answered > 0 else { throw BenchError("a round answered nothing") }
                accepted += answer.accepted.count
                for refusal in answer.refused { refused[refusal.code.rawValue, default: 0] += 1 }
                remaining.removeFirst(min(answered, remaining.count))
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            let result: [String: Any] = [
                "ms": round2(ms), "rounds": rounds, "changes": push.count, "accepted": accepted, "refused": refused,
                "first_request_bytes": requestBytes,
            ]
            emit(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch {
            // The parent waits for "ready" once, then for one result line.
            if !ready { emit("ready") }
            emit(String(decoding: (try? JSONSerialization.data(withJSONObject: ["error": "\(error)"])) ?? Data(), as: UTF8.self))
            return 1
        }
    }
}
