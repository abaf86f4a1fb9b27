import Foundation
import SyncServer
#if PostgreSQL
import PostgresKit
#endif

/// `sync-bench relay --postgres URL`: the relay over PostgreSQL, one node and two, beside the
/// embedded SQLite store measured in the same run. For each setup: durable pushes a second
/// from `devices` devices pushing one new deal each at once (from a child process, spread over
/// the nodes), and the fan-out of one change to `watchers` long-polls (another child), held
/// by the second node when there are two (so each answer crosses the database's
/// notification).
///
/// Each PostgreSQL setup runs on a database of its own, created on the server of `url` and
/// dropped afterwards (the role needs CREATEDB); nothing in `url`'s own database is touched.
func benchRelayPostgres(url: String, devices: Int, watchers: Int) async throws {
#if PostgreSQL
    let admin = try PostgresBenchDatabases(url: url)
    for (store, nodeCount) in [("sqlite", 1), ("postgres", 1), ("postgres", 2)] {
        let name = "\(store)-\(nodeCount)"
        let folder = try BenchFolder("relay-\(name)")
        defer { folder.remove() }
        let database = store == "postgres" ? try admin.create("dealsync_bench_\(getpid())_\(nodeCount)") : nil
        var servers: [RelayServer] = []
        var urls: [String] = []
        for node in 1...nodeCount {
            let server = try RelayServer(configuration: .init(dataDirectory: folder.sub("\(name)-node\(node)"), port: 0, postgres: database),
                                         log: .discarding)
            urls.append(try server.start())
            servers.append(server)
        }
        let relayFolder = folder.sub("\(name)-node1")
        let (perSecond, ms, accepted) = try await pushFromChild(urls: urls, relayFolder: relayFolder, postgres: database, devices: devices,
                                                                folder: folder, name: name)
        report(["bench": "relay.postgres.push", "store": store, "nodes": nodeCount, "devices": devices, "accepted": accepted,
                "ms": round2(ms), "changes_per_s": round2(perSecond),
                "note": "each device pushes one new deal (one change) at once from a child process, devices spread over the nodes"])
        if watchers > 0 {
            let watched = servers.last!
            try await benchFanOut(relayURL: urls[0], port: URL(string: urls.last!)!.port!, relayFolder: relayFolder, postgres: database,
                                  folder: folder, metrics: watched.relay.metrics, watcherCounts: [watchers],
                                  label: "\(store), \(nodeCount) node\(nodeCount == 1 ? "" : "s")\(nodeCount > 1 ? ", watchers on node 2, pusher on node 1" : "")")
        }
        for server in servers { await server.stop() }
        if let database { try admin.drop(database) }
    }
#else
    _ = (url, devices, watchers)
    throw BenchError("sync-bench was built without PostgreSQL support: build it with 'swift build -c release --traits PostgreSQL --product sync-bench'")
#endif
}

#if PostgreSQL
/// The pushes of `sync-bench relay --postgres`: tokens issued on the store, one line per device
/// (with the node it pushes to, round robin), pushed at once by the group-commit pusher child.
private func pushFromChild(urls: [String], relayFolder: String, postgres: String?, devices: Int, folder: BenchFolder,
                           name: String) async throws -> (perSecond: Double, ms: Double, accepted: Int) {
    var lines: [String] = []
    for index in 0..<devices {
        let user = "fleet\(index)", device = "fleet-pc-\(index)"
        let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: user, role: "sales", dealership: "fleet\(index)",
                                                  device: device, postgres: postgres)).secret.text
        lines.append("\(user) \(device) \(token) \(urls[index % urls.count])")
    }
    let tokens = folder.sub("tokens-\(name).txt")
    try lines.joined(separator: "\n").write(toFile: tokens, atomically: true, encoding: .utf8)
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let child = try ChildProcess(executable: executable, arguments: ["group-commit-pusher", "--url", urls[0], "--tokens", tokens])
    guard await child.readLine() == "ready" else {
        _ = await child.closeInputAndWait()
        throw BenchError("the group-commit-pusher child did not get ready")
    }
    child.write("go\n")
    guard let line = await child.readLine(), let answer = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let ms = answer["ms"] as? Double, let accepted = answer["accepted"] as? Int else {
        _ = await child.closeInputAndWait()
        throw BenchError("the group-commit-pusher child printed no result")
    }
    _ = await child.closeInputAndWait()
    return (Double(accepted) / (ms / 1000), ms, accepted)
}

/// Throwaway databases on the server of a connection string, one per setup.
private struct PostgresBenchDatabases {
    let url: String
    let connection: PostgresConnection

    init(url: String) throws {
        self.url = url
        connection = try PostgresConnection(url)
        try connection.execute("SET client_min_messages = warning")
    }

    /// Creates database `name` and returns a connection string to it.
    func create(_ name: String) throws -> String {
        try connection.execute("DROP DATABASE IF EXISTS \(name)")
        try connection.execute("CREATE DATABASE \(name)")
        // A later keyword wins in a libpq keyword string; a URL takes dbname as a parameter.
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return url + (url.contains("?") ? "&" : "?") + "dbname=\(name)"
        }
        return url + " dbname=\(name)"
    }

    func drop(_ connectionString: String) throws {
        guard let name = connectionString.split(separator: "=").last else { return }
        try connection.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }
}
#endif
