import CRDT
import DealCardKit
import SyncCore
import Foundation
import Testing

/// What one run of the `sync-client` binary did.
struct CLIClientResult: Sendable, CustomStringConvertible {
    var status: Int32
    /// Whether the process ended by a signal (then `status` is the signal number).
    var killedBySignal: Bool
    var stdout: String
    var stderr: String

    var description: String { "exit \(status)\(killedBySignal ? " (signal)" : "")\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Finds the built `sync-client` executable: it sits next to the test bundle in the build
/// folder (`.build/debug/`). `SYNC_CLIENT_BINARY` overrides the search.
enum CLIClientBinary {
    static func path() throws -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment["SYNC_CLIENT_BINARY"] { candidates.append(override) }
        // Linux: the tests run inside `DealSyncPackageTests.xctest`, an executable in the build folder.
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent().appendingPathComponent("sync-client").path)
        // Linux: Bundle.main is the build folder; macOS: the .xctest bundle inside it.
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("sync-client").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sync-client").path)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("sync-client").path)
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw CLIClientFailure("the sync-client executable was not found (looked at: \(candidates.joined(separator: ", "))); "
                                   + "build it first with 'swift build --product sync-client' or set SYNC_CLIENT_BINARY")
        }
        return found
    }
}

struct CLIClientFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A test's own temporary folder, holding its device stores; removed when released.
final class CLIClientFolder: Sendable {
    let path: String
    let binary: String

    init() throws {
        binary = try CLIClientBinary.path()
        var template = Array((NSTemporaryDirectory() + "/sync-cli-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of a store folder `name` inside the test folder.
    func store(_ name: String) -> String { path + "/" + name }

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

    /// Starts `sync-client arguments` in this folder with stdout and stderr in files.
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CLIClientProcess {
        let id = UUID().uuidString
        let out = path + "/.out-" + id, err = path + "/.err-" + id
        guard FileManager.default.createFile(atPath: out, contents: nil), FileManager.default.createFile(atPath: err, contents: nil) else {
            throw CLIClientFailure("cannot create output files in \(path)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: path)
        process.environment = environment(extra)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        let running = CLIClientProcess(process: process, stdoutPath: out, stderrPath: err)
        try process.run()
        return running
    }

    /// Runs `sync-client arguments` to the end.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> CLIClientResult {
        try await start(arguments, environment: extra).finish()
    }

    /// Runs a command that must succeed and returns its stdout.
    @discardableResult
    func succeed(_ arguments: [String], environment extra: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await run(arguments, environment: extra)
        #expect(result.status == 0 && !result.killedBySignal, "sync-client \(arguments.joined(separator: " ")): \(result)", sourceLocation: sourceLocation)
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

/// A started `sync-client` process.
final class CLIClientProcess: @unchecked Sendable {
    let process: Process
    let stdoutPath: String
    let stderrPath: String
    private let exited = DispatchSemaphore(value: 0)

    init(process: Process, stdoutPath: String, stderrPath: String) {
        self.process = process
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
    }

    /// Sends SIGKILL.
    func kill() { _ = Foundation.kill(process.processIdentifier, SIGKILL) }

    /// What the process has written to stdout so far.
    func stdoutSoFar() -> String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }

    /// Waits for the end without blocking a thread of the concurrency pool, and collects
    /// the output.
    func finish() async throws -> CLIClientResult {
        let exited = self.exited
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                exited.wait()
                continuation.resume()
            }
        }
        return CLIClientResult(
            status: process.terminationStatus, killedBySignal: process.terminationReason == .uncaughtSignal,
            stdout: try String(contentsOfFile: stdoutPath, encoding: .utf8),
            stderr: try String(contentsOfFile: stderrPath, encoding: .utf8))
    }
}

/// A repeatable random generator (SplitMix64) for the crash test's delays.
struct CLIClientSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
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
