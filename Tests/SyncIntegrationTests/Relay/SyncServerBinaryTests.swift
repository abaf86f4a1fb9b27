import Foundation
import Glibc
import CRDT
import CanonicalJSON
import SyncServer
import Testing
import TestSupport

/// The built `sync-server` executable, as an operator runs it.
@Suite("sync-server executable")
struct SyncServerBinaryTests {
    @Test func issueListRevoke() throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let issued = try PackageExecutable.syncServer.run([
            "token", "issue", "--data", data, "--user", "anna", "--role", "sales", "--dealership", "north",
            "--device", "pc-1", "--expires", "2h",
        ])
        #expect(issued.status == 0, "\(issued.stderr)")
        let token = issued.stdout.trimmingCharacters(in: .newlines)
        #expect(issued.stdout == token + "\n", "the token alone on standard output")
        #expect(SecretToken(parsing: token) != nil)
        #expect(issued.stderr.hasPrefix("issued tok_"))

        let listed = try PackageExecutable.syncServer.run(["token", "list", "--data", data])
        #expect(listed.status == 0)
        let lines = listed.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("ID            USER  ROLE   DEALERSHIP  DEVICE  DEAL  EXPIRES") == true)
        let id = String(lines[1].prefix(12))
        #expect(lines[1].hasSuffix("  no"))
        #expect(!listed.stdout.contains(token))

        let revoked = try PackageExecutable.syncServer.run(["token", "revoke", "--data", data, id])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        let json = try PackageExecutable.syncServer.run(["token", "list", "--data", data, "--json"])
        guard case .array(let tokens) = try SchemaJSON(parsing: json.stdout), case .object(let first)? = tokens.first else {
            Issue.record("token list --json did not print an array of objects: \(json.stdout)")
            return
        }
        #expect(first["id"] == .string(id))
        #expect(first["revoked"] == .bool(true))
        #expect(first["device"] == .string("pc-1"))

        let unknown = try PackageExecutable.syncServer.run(["token", "revoke", "--data", data, "tok_ffffffff"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: no token has id tok_ffffffff; run 'sync-server token list' to see the ids\n")
    }

    /// `sync-server compact` on a store: a JSON report on standard output, a sentence on
    /// standard error; a bad duration is a usage error, a folder with no store says so.
    @Test func compactPrintsAReportAndRefusesBadInput() throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let issued = try PackageExecutable.syncServer.run([
            "token", "issue", "--data", data, "--user", "anna", "--role", "sales", "--dealership", "north",
        ])
        #expect(issued.status == 0, "\(issued.stderr)")
        let compacted = try PackageExecutable.syncServer.run(["compact", "--data", data, "--older-than", "90d"])
        #expect(compacted.status == 0, "\(compacted.stderr)")
        guard case .object(let report) = try SchemaJSON(parsing: compacted.stdout) else {
            Issue.record("compact did not print a JSON object: \(compacted.stdout)")
            return
        }
        #expect(report["documents"] == .integer(0) && report["entries_removed"] == .integer(0), "\(report)")
        #expect(compacted.stderr.hasPrefix("compacted 0 documents"), "\(compacted.stderr)")

        let bad = try PackageExecutable.syncServer.run(["compact", "--data", data, "--older-than", "3w"])
        #expect(bad.status == 64 && bad.stdout.isEmpty)
        #expect(bad.stderr.contains("invalid value '3w' for '--older-than <duration>'"), "\(bad.stderr)")
        let missing = try PackageExecutable.syncServer.run(["compact", "--data", directory.file("nothing"), "--older-than", "1d"])
        #expect(missing.status == 1 && missing.stdout.isEmpty)
        #expect(missing.stderr.hasPrefix("error: "), "\(missing.stderr)")
    }

    @Test(arguments: [
        (["--user", "anna", "--role", "manager", "--dealership", "north"], "error: invalid value 'manager' for '--role <role>'"),
        (["--user", "anna", "--role", "sales", "--dealership", "north", "--expires", "3w"], "error: invalid value '3w' for '--expires <duration>'"),
        (["--role", "sales", "--dealership", "north"], "error: missing expected argument '--user <name>'"),
    ])
    func usageErrorsExit64AndWriteNothing(arguments: [String], message: String) throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("data")
        let result = try PackageExecutable.syncServer.run(["token", "issue", "--data", data] + arguments)
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix(message), "\(result.stderr)")
        #expect(result.stderr.contains("Usage: sync-server token issue"))
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test func serveAnswersHealthAndMetricsAndStopsOnSIGTERM() throws {
        let directory = try TemporaryDirectory()
        let server = try PackageExecutable.syncServer.start(["serve", "--data", directory.path, "--port", "0"])
        let line = try server.readLine()
        let url = try #require(line, "no URL line; stderr: \(server.standardError)")
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let port = try #require(Int(url.dropFirst("http://127.0.0.1:".count)))

        let client = try HTTPTestClient(port: port)
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let health = try #require(client.readResponse())
        #expect(health.status == 200)
        guard case .object(let object) = try SchemaJSON(parsing: health.body) else {
            Issue.record("healthz is not a JSON object: \(health.text)")
            return
        }
        #expect(object["status"] == .string("ok"))
        #expect(object["version"] == .string(SyncServerInfo.version))

        client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let metrics = try #require(client.readResponse())
        #expect(metrics.status == 200)
        let lines = metrics.text.split(separator: "\n").map(String.init)
        #expect(lines.contains("relay_http_open_connections 1"))
        #expect(lines.contains("relay_http_output_pauses 0"))
        #expect(lines.contains { $0.hasPrefix("relay_http_peak_queued_output_bytes ") })
        #expect(lines.contains(#"relay_http_requests_total{status="200"} 1"#))
        #expect(lines.contains("# TYPE relay_fanout_latency_seconds histogram"))
        #expect(lines.contains { $0.hasPrefix("relay_store_size_bytes ") && $0 != "relay_store_size_bytes 0" })

        client.send("GET /v1/nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        let missing = try #require(client.readResponse())
        #expect(missing.status == 404)
        #expect(missing.text.hasPrefix(#"{"error":{"code":"not_found","message":"#))

        // A second relay on the same folder is refused with the lock error.
        let second = try PackageExecutable.syncServer.run(["serve", "--data", directory.path, "--port", "0"])
        #expect(second.status == 1)
        #expect(second.stdout.isEmpty)
        #expect(second.stderr.contains("store is in use by another process (pid \(server.pid)"), "\(second.stderr)")

        server.send(SIGTERM)
        #expect(server.waitForExit()?.succeeded == true)
        #expect(client.readsEOF())
        let log = server.standardError.split(separator: "\n")
        let events = try log.map { line -> String in
            guard case .object(let object) = try SchemaJSON(parsing: String(line)) else { return "?" }
            return object["event"]?.stringValue ?? "?"
        }
        #expect(events == ["started", "request", "request", "request", "stopping", "stopped"], "\(server.standardError)")
        #expect(log[1].contains(#""method":"GET""#) && log[1].contains(#""path":"/healthz""#) && log[1].contains(#""status":200"#))
        #expect(log[1].contains(#""ms":"#))

        // The store was closed and unlocked: it opens again.
        let reopened = try SQLiteRelayStorage(directory: directory.path)
        reopened.close()
    }
}

/// The help of every level, compared whole, as swift-argument-parser's own tests do.
@Suite("sync-server help")
struct SyncServerHelpTests {
    @Test func rootAndTokenHelp() throws {
        let root = try PackageExecutable.syncServer.run(["--help"])
        #expect(root.status == 0)
        #expect(root.stdout == """
            OVERVIEW: The deal-card sync relay: a durable change log with auth, over HTTP.

            USAGE: sync-server <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              serve                   Run the relay.
              token                   Issue, list and revoke bearer tokens.
              compact                 Fold old history into base snapshots (frees the log).

              See 'sync-server help <subcommand>' for detailed help.

            EXAMPLES:
              Issue a token, then serve:
                sync-server token issue --user anna --role sales --dealership north && sync-server serve

            """)
        let token = try PackageExecutable.syncServer.run(["help", "token"])
        #expect(token.stdout == """
            OVERVIEW: Issue, list and revoke bearer tokens.

            USAGE: sync-server token <subcommand>

            OPTIONS:
              -h, --help              Show help information.

            SUBCOMMANDS:
              issue                   Issue a token and print it (shown only once).
              list                    List issued tokens (never the secrets).
              revoke                  Revoke a token; it stops working at the next request.

              See 'sync-server token help <subcommand>' for detailed help.

            """)
        #expect(try PackageExecutable.syncServer.run(["--version"]).stdout == "sync-server \(SyncServerInfo.version)\n")
    }

    @Test func serveHelpAndABadPort() throws {
        let serve = try PackageExecutable.syncServer.run(["serve", "-h"])
        #expect(serve.stdout.hasPrefix("OVERVIEW: Run the relay.\n"))
        #expect(serve.stdout.contains("USAGE: sync-server serve [--data <dir>] [--postgres <url>] [--host <host>]\n"))
        #expect(serve.stdout.contains("  --port <port>           The TCP port; 0 picks a free one. (default: 8080)\n"))
        let badPort = try PackageExecutable.syncServer.run(["serve", "--port", "99999"])
        #expect(badPort.status == 64)
        #expect(badPort.stderr.hasPrefix("error: invalid value '99999' for '--port <port>': expected UInt16\n"))
    }

#if !PostgreSQL
    /// A build without the PostgreSQL trait says so, and how to get one, for every command
    /// that takes `--postgres`.
    @Test(arguments: [["serve", "--port", "0"], ["token", "list"], ["token", "revoke", "tok_1"], ["compact", "--older-than", "1d"],
                      ["token", "issue", "--user", "anna", "--role", "sales", "--dealership", "north"]])
    func postgresWithoutTheTraitIsAClearError(command: [String]) throws {
        let directory = try TemporaryDirectory()
        let result = try PackageExecutable.syncServer.run(command + ["--postgres", "postgresql://relay@db/dealsync", "--data", directory.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("built without PostgreSQL support: build it with 'swift build --traits PostgreSQL'"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
#endif
}
