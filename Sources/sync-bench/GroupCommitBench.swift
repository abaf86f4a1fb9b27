import CRDT
import DealCardKit
import RelayClient
import SQLiteKit
import SyncProtocol
import SyncServer
import Foundation

/// `sync-bench group-commit`: `devices` devices, each in a dealership of its own, push one
/// small change each (a new deal) at the same moment, from a child process
/// (`sync-bench group-commit-pusher`), to a relay in this process. Prints the relay's durable
/// changes a second against a raw loop of single-row SQLite commits with the same settings
/// (WAL, `synchronous=FULL`) measured in the same run, and the average group the relay
/// committed together (its `relay_push_group_*` metrics).
func benchGroupCommit(devices: Int, firstPush: Bool) async throws {
    let folder = try BenchFolder("group-commit")
    defer { folder.remove() }
    // The baseline: what one commit costs on this disk with the relay's settings.
    let raw = try SQLiteDatabase(path: folder.sub("raw.sqlite"))
    try raw.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)")
    let rawCount = 200
    let rawMs = try milliseconds {
        for index in 0..<rawCount {
            try raw.transaction { db in try db.execute("INSERT INTO t(v) VALUES (?)", arguments: [.blob([UInt8(index & 0xFF)])]) }
        }
    }
    raw.close()
    let rawPerSecond = Double(rawCount) / (rawMs / 1000)

    let relayFolder = folder.sub("relay")
    let server = try RelayServer(configuration: .init(dataDirectory: relayFolder, port: 0), log: .discarding)
    let url = try server.start()
    var lines: [String] = []
    for index in 0..<devices {
        let user = "fleet\(index)", device = "fleet-pc-\(index)"
        let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: user, role: "sales", dealership: "fleet\(index)",
                                                  device: device)).secret.text
        lines.append("\(user) \(device) \(token)")
    }
    let tokens = folder.sub("tokens.txt")
    try lines.joined(separator: "\n").write(toFile: tokens, atomically: true, encoding: .utf8)
    let before = (server.relay.metrics.groupCommits.value, server.relay.metrics.groupCommittedPushes.value)

    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let child = try ChildProcess(executable: executable, arguments: ["group-commit-pusher", "--url", url, "--tokens", tokens]
                                 + (firstPush ? ["--first-push"] : []))
    guard await child.readLine() == "ready" else {
        _ = await child.closeInputAndWait()
        await server.stop()
        throw BenchError("the group-commit-pusher child did not get ready")
    }
    child.write("go\n")
    guard let line = await child.readLine(), let answer = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let ms = answer["ms"] as? Double, let accepted = answer["accepted"] as? Int else {
        _ = await child.closeInputAndWait()
        await server.stop()
        throw BenchError("the group-commit-pusher child printed no result")
    }
    _ = await child.closeInputAndWait()
    let commits = server.relay.metrics.groupCommits.value - before.0
    let pushes = server.relay.metrics.groupCommittedPushes.value - before.1
    let perSecond = Double(accepted) / (ms / 1000)
    report(["bench": "relay.push.group_commit", "devices": devices, "accepted": accepted, "ms": round2(ms),
            "changes_per_s": round2(perSecond), "raw_single_row_commits_per_s": round2(rawPerSecond),
            "vs_raw_commit_loop": ratio(perSecond, rawPerSecond), "group_commits": Int(commits),
            "average_group": commits == 0 ? 0 : round2(pushes / commits),
            "cursor": firstPush ? "0 (each push is also a first sync)" : "the device's own, after a first sync",
            "note": "each device pushes one new deal (one change) at once from a child process; the baseline commits one row a transaction with the relay's settings (WAL, synchronous=FULL)"])
    await server.stop()
}

/// The child of `sync-bench group-commit`: one connection a device (`user device token` per
/// line of `tokens`), each with one new deal's first change made ahead; prints `ready`, waits
/// for a line, sends every push at once and prints one JSON result line.
enum GroupCommitPusher {
    private static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func run(url: String, tokens: String, firstPush: Bool) async -> Int32 {
        var ready = false
        do {
            let text = try String(contentsOfFile: tokens, encoding: .utf8)
            var pushes: [(RelayConnection, SyncRequest)] = []
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ").map(String.init)
                // `user device token`, and optionally the relay node to push to.
                guard parts.count == 3 || parts.count == 4, let deal = DealID("fleet-deal-" + parts[0]) else { throw BenchError("bad tokens line \(line)") }
                let author = ChangeAuthor(user: parts[0], role: .sales, device: parts[1], channel: .pc, time: 1_700_000_000_000)
                let document = Document(replica: .random())
                let editor = CardEditor(schema: .standard, role: .sales)
                let change = try document.change(metadata: author.encoded()) { tx in
                    try editor.createContainers(document: .shared, in: document, tx)
                    try editor.set("vehicle.model", .text("Camry"), in: document, tx)
                }!
                let connection = RelayConnection(baseURL: URL(string: parts.count == 4 ? parts[3] : url)!, token: parts[2])
                // A device that has synced before pushes at its cursor (an ordinary round); with
                // --first-push, at cursor 0 (its push is also its first sync).
                var cursor = LogPosition.start
                if !firstPush {
                    let first: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []), timeout: 120)
                    cursor = first.cursor
                }
                let request = SyncRequest(cursor: cursor, push: [PushedChange(deal: deal, document: .shared, change: change.encoded())])
                pushes.append((connection, request))
            }
            emit("ready")
            ready = true
            _ = Swift.readLine()
            let started = DispatchTime.now().uptimeNanoseconds
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for (connection, request) in pushes {
                    group.addTask {
                        let answer: SyncResponse = try await connection.post("v1/sync", request, timeout: 120)
                        return answer.accepted.count
                    }
                }
                return try await group.reduce(0, +)
            }
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            emit(String(decoding: try JSONSerialization.data(withJSONObject: ["ms": round2(ms), "accepted": accepted, "pushes": pushes.count],
                                                             options: [.sortedKeys]), as: UTF8.self))
            return 0
        } catch {
            if !ready { emit("ready") }
            emit(String(decoding: (try? JSONSerialization.data(withJSONObject: ["error": "\(error)"])) ?? Data(), as: UTF8.self))
            return 1
        }
    }
}
