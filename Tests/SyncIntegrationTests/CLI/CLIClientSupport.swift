import CRDT
import DealCardKit
import SyncCore
import Foundation
import Testing
import TestSupport

/// A test's own temporary folder, holding its device stores, in which the built `sync-client`
/// runs (`PackageExecutable.syncClient`; `SYNC_CLIENT_BINARY` points at another build).
final class CLIClientFolder: Sendable {
    let directory: TemporaryDirectory
    let binary: String

    init() throws {
        binary = try PackageExecutable.syncClient.path()
        directory = try TemporaryDirectory(prefix: "sync-cli")
    }

    var path: String { directory.path }

    /// The path of a store folder `name` inside the test folder.
    func store(_ name: String) -> String { directory.file(name) }

    /// The environment of a run: this process's, without the variables the client reads,
    /// with UTC times, plus `extra`.
    func environment(_ extra: [String: String]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["SYNC_CLIENT_STORE"] = nil
        environment["NO_COLOR"] = nil
        environment["TZ"] = "UTC"
        environment.merge(extra) { $1 }
        return environment
    }

    /// Starts `sync-client arguments` in this folder.
    func start(_ arguments: [String], environment extra: [String: String] = [:], standardOutput: Int32? = nil) throws -> ChildProcess {
        try ChildProcess(binary, arguments, environment: environment(extra), workingDirectory: path, standardOutput: standardOutput)
    }

    /// Runs `sync-client arguments` to the end.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> ChildProcess.Result {
        try await start(arguments, environment: extra).finish()
    }

    /// Runs a command that must succeed and returns its stdout.
    @discardableResult
    func succeed(_ arguments: [String], environment extra: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await run(arguments, environment: extra)
        #expect(result.succeeded, "sync-client \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Creates a device store `name` for a user and role.
    @discardableResult
    func initStore(_ name: String, user: String, role: Role, channel: Channel) async throws -> String {
        let store = self.store(name)
        try await succeed(["init", "--store", store, "--server", "http://127.0.0.1:9", "--token", "t-\(user)",
                           "--channel", channel.rawValue, "--user", user, "--role", role.rawValue,
                           "--dealership", "north", "--device", "\(user)-\(channel.rawValue)"])
        return store
    }
}

/// Exchanges the changes of two device stores written by the CLI, in-process: `a`'s
/// outbox goes to `b`, then everything `b` has goes back to `a`. Both stores must be closed
/// by the CLI processes first.
func cliClientExchange(_ pathA: String, _ pathB: String) async throws {
    let a = try DeviceStore(openingAt: pathA)
    let b = try DeviceStore(openingAt: pathB)
    do {
        var batches: [String: (DealID, DealDocumentKind, [Change])] = [:]
        for item in try await a.outbox() where b.schema.canRead(role: b.identity.role, document: item.ref.document) {
            let key = "\(item.ref.deal)/\(item.ref.document.rawValue)"
            var batch = batches[key] ?? (item.ref.deal, item.ref.document, [])
            batch.2.append(try Change(encoded: item.blob))
            batches[key] = batch
        }
        for (deal, kind, changes) in batches.values.sorted(by: { "\($0.0)/\($0.1)" < "\($1.0)/\($1.1)" }) {
            try await b.applyRemote(deal, kind, changes)
        }
        for deal in try await b.dealIDs() {
            for kind in DealDocumentKind.allCases where a.schema.canRead(role: a.identity.role, document: kind) {
                let changes = try await b.changes(deal, kind, since: VersionVector())
                if !changes.isEmpty { try await a.applyRemote(deal, kind, changes) }
            }
        }
    } catch {
        await a.close()
        await b.close()
        throw error
    }
    await a.close()
    await b.close()
}
