#if PostgreSQL
import DealCardKit
import Foundation
import Glibc
import RelayClient
import SyncCore
import SyncProtocol
import SyncServer
import Testing
import TestSupport

/// Two `sync-server serve --postgres` processes behind a real nginx (the configuration the
/// README shows): `kill -9` of one node in the middle of a device's pushes loses nothing the
/// device was told was stored, and the devices carry on through the other node.
@Suite("Failover between relay nodes behind nginx", .postgresCluster, .serialized)
struct PostgresFailoverTests {
    @Test func killingANodeMidPushLosesNothingAcknowledged() async throws {
        let nginx = try #require(NginxProxy.executable, "nginx is not installed (Debian: apt-get install nginx); .ci/run installs it")
        let database = try await PostgresCluster.running().freshDatabase()
        let folder = try TemporaryDirectory(prefix: "failover")
        var nodes: [ChildProcess] = []
        var ports: [Int] = []
        for index in 1...2 {
            let node = try PackageExecutable.syncServer.start(["serve", "--postgres", database, "--port", "0", "--data", folder.file("node\(index)")])
            let line = try #require(try node.readLine(), "node \(index) printed no URL; stderr: \(node.standardError)")
            ports.append(try #require(URL(string: line)?.port))
            nodes.append(node)
        }
        defer { for node in nodes { node.kill() } }
        let proxy = try NginxProxy(executable: nginx, folder: folder.file("nginx"), upstreams: ports)
        defer { proxy.stop() }

        func device(_ user: String, _ role: Role, _ channel: Channel) throws -> (DeviceStore, SyncSession) {
            let name = "\(user)-\(channel.rawValue)"
            let token = try TokenCommands.issue(.init(user: user, role: role.rawValue, dealership: "north", device: name, postgres: database))
            let identity = DeviceIdentity(user: user, role: role, dealership: "north", device: name, channel: channel, server: proxy.url,
                                          token: token.secret.text)
            let store = try DeviceStore(creatingAt: folder.file("device-\(name)"), identity: identity)
            return (store, SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: proxy.url)!, token: token.secret.text)))
        }
        let (olga, olgaSession) = try device("olga", .sales, .pc)
        let (vera, veraSession) = try device("vera", .finance, .tablet)
        let deal = try await olga.createDeal(values: ["vehicle.model": .text("Camry")])
        try await olgaSession.syncRetrying(attempts: 20, maxDelay: 0.2)

        // Olga posts and syncs message after message; node 1 dies after the tenth is stored.
        let total = 40
        var acknowledged = 0
        for index in 1...total {
            try await olga.post(deal, "message \(index)")
            try await olgaSession.syncRetrying(attempts: 40, maxDelay: 0.25)
            if try await olga.outboxCount() == 0 { acknowledged = index }
            if index == 10 {
                // Mid-push: the next request may be on its way to node 1 as it dies.
                let next = Task { try await olgaSession.syncRetrying(attempts: 40, maxDelay: 0.25) }
                try await olga.post(deal, "message while a node dies")
                nodes[0].send(SIGKILL)
                _ = try await next.value
            }
        }
        try await olgaSession.syncRetrying(attempts: 40, maxDelay: 0.25)
        #expect(acknowledged == total)
        #expect(try await olga.outboxCount() == 0)
        try await veraSession.syncRetrying(attempts: 40, maxDelay: 0.25)
        guard case .list(let messages)? = try await vera.card(deal).values["conversation.messages"] else {
            Issue.record("vera got no messages")
            return
        }
        #expect(messages.count == total + 1, "vera has \(messages.count) messages of \(total + 1)")
        #expect(Set(messages).count == messages.count, "a message was doubled")
        #expect(nodes[0].waitForExit(timeout: .seconds(5)) != nil, "node 1 did not die")
        // And the surviving node serves a fresh device everything.
        let (petr, petrSession) = try device("petr", .sales, .phone)
        try await petrSession.syncRetrying(attempts: 40, maxDelay: 0.25)
        #expect(try await petr.card(deal).values["conversation.messages"] == .list(messages))
    }
}

/// `sync-server token issue | list | revoke --postgres` and `compact --postgres` work on the
/// shared database, beside a serving node.
@Suite("sync-server commands on a PostgreSQL database", .postgresCluster, .serialized)
struct PostgresCommandTests {
    @Test func tokenCommandsAndCompactionUseTheDatabase() async throws {
        let database = try await PostgresCluster.running().freshDatabase()
        let folder = try TemporaryDirectory(prefix: "pg-commands")
        let node = try PackageExecutable.syncServer.start(["serve", "--postgres", database, "--port", "0", "--data", folder.file("node")])
        defer { node.kill() }
        let line = try #require(try node.readLine(), "no URL; stderr: \(node.standardError)")
        let issued = try await PackageExecutable.syncServer.run(["token", "issue", "--postgres", database, "--user", "anna", "--role", "sales",
                                                           "--dealership", "north", "--device", "pc-1"])
        #expect(issued.status == 0, "\(issued.stderr)")
        let secret = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The serving node accepts the token at once: it reads tokens from the database.
        let connection = RelayConnection(baseURL: URL(string: line)!, token: secret)
        let answer: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
        #expect(answer.cursor == 0)
        let listed = try await PackageExecutable.syncServer.run(["token", "list", "--postgres", database, "--json"])
        #expect(listed.status == 0)
        let id = try #require(try TokenCommands.list(dataDirectory: folder.file("unused"), postgres: database).first?.id)
        #expect(listed.stdout.contains(id))
        let revoked = try await PackageExecutable.syncServer.run(["token", "revoke", id, "--postgres", database])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(try TokenCommands.list(dataDirectory: folder.file("unused"), postgres: database).first?.isRevoked == true)
        do {
            let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
            Issue.record("a revoked token was accepted")
        } catch {}
        let compacted = try await PackageExecutable.syncServer.run(["compact", "--postgres", database, "--older-than", "1d"])
        #expect(compacted.status == 0, "\(compacted.stderr)")
        #expect(compacted.stdout.contains("\"documents\":0"))
        // A database the server cannot reach is a clear error, not a hang.
        let unreachable = try await PackageExecutable.syncServer.run(["token", "list", "--postgres", "host=/nonexistent dbname=x connect_timeout=2"])
        #expect(unreachable.status != 0)
        #expect(unreachable.stderr.contains("cannot connect"), "\(unreachable.stderr)")
    }
}

/// A real nginx in a folder of its own, balancing over relay nodes on loopback ports, with
/// the settings the README gives for long-polls and for a node that dies.
final class NginxProxy: Sendable {
    let url: String
    private let process: ChildProcess

    /// `nginx` from Debian's package, if installed.
    static var executable: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    init(executable: String, folder: String, upstreams: [Int]) throws {
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: true)
        let port = try Self.freePort()
        let configuration = NginxProxy.configuration(listen: port, upstreams: upstreams, folder: folder)
        try configuration.write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)
        process = try ChildProcess(executable, ["-p", folder, "-c", folder + "/nginx.conf", "-e", folder + "/logs/error.log"])
        url = "http://127.0.0.1:\(port)"
        // Ready when it accepts a connection.
        let deadline = ContinuousClock.now + .seconds(10)
        while !Self.accepts(port) {
            guard ContinuousClock.now < deadline, !process.hasExited else {
                let log = (try? String(contentsOfFile: folder + "/logs/error.log", encoding: .utf8)) ?? ""
                throw ChildProcess.Failure("nginx did not start: \(process.standardError) \(log)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    func stop() {
        _ = process.stop(grace: .seconds(5))
    }

    /// The configuration, as the README's "Several relay nodes" section shows it.
    static func configuration(listen port: Int, upstreams: [Int], folder: String) -> String {
        """
        daemon off;
        master_process off;
        worker_processes 1;
        pid \(folder)/nginx.pid;
        error_log \(folder)/logs/error.log warn;
        events { worker_connections 256; }
        http {
            access_log off;
            client_body_temp_path \(folder)/body;
            proxy_temp_path \(folder)/proxy;
            fastcgi_temp_path \(folder)/fastcgi;
            uwsgi_temp_path \(folder)/uwsgi;
            scgi_temp_path \(folder)/scgi;
            upstream relays {
        \(upstreams.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=5s;" }.joined(separator: "\n"))
                keepalive 16;
            }
            server {
                listen 127.0.0.1:\(port);
                client_max_body_size 64m;
                location / {
                    proxy_pass http://relays;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $host;
                    proxy_connect_timeout 2s;
                    proxy_read_timeout 90s;
                    proxy_send_timeout 90s;
                    proxy_buffering off;
                    proxy_next_upstream error timeout non_idempotent;
                    proxy_next_upstream_tries 2;
                }
            }
        }

        """
    }

    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ChildProcess.Failure("socket: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw ChildProcess.Failure("bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
#endif
