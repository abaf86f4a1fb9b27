import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The relay the demo plays against: the real `sync-server` executable, run as a child
/// process on a free loopback port. `sync-client` does not link the relay; SwiftPM builds
/// `sync-server` beside it (`swift run sync-client demo` builds both), and the demo looks
/// for it in the folder its own executable is in.
final class DemoRelay: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let executable: String
    let dataDirectory: String
    let logPath: String
    private var process: Process?
    private(set) var url = ""

    /// Finds `sync-server`: `explicit` when given, else beside this executable, else on `PATH`.
    init(explicit: String?, dataDirectory: String) throws {
        self.dataDirectory = dataDirectory
        self.logPath = dataDirectory + ".log"
        if let explicit {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw Failure(description: "--relay-binary \(explicit): no executable file there")
            }
            executable = explicit
            return
        }
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates = [own.appendingPathComponent("sync-server").path]
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append(String(folder) + "/sync-server")
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw Failure(description: """
                the demo needs the relay executable, sync-server, and found none beside \(own.path) or on PATH. \
                `swift run sync-client demo` builds it; otherwise build it with `swift build --product sync-server` \
                or name it with --relay-binary PATH
                """)
        }
        executable = found
    }

    /// Issues a token with `sync-server token issue` and returns its secret.
    func issueToken(user: String, role: String, dealership: String, device: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["token", "issue", "--data", dataDirectory, "--user", user, "--role", role,
                             "--dealership", dealership, "--device", device]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        let complaint = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let token = String(decoding: printed, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, !token.isEmpty else {
            throw Failure(description: "sync-server token issue failed (exit \(process.terminationStatus)): "
                          + String(decoding: complaint, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return token
    }

    /// Starts `sync-server serve` on a free loopback port and returns its URL once it listens.
    /// The relay's log goes to `logPath`.
    func start(timeout: TimeInterval = 30) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["serve", "--data", dataDirectory, "--host", "127.0.0.1", "--port", "0"]
        let output = Pipe()
        process.standardOutput = output
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw Failure(description: "cannot create the relay's log file \(logPath)")
        }
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
        self.process = process
        let reader = output.fileHandleForReading
        let line = LineBox()
        let done = DispatchSemaphore(value: 0)
        Thread {
            var bytes: [UInt8] = []
            while !bytes.contains(0x0A) {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            line.set(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            done.signal()
        }.start()
        guard done.wait(timeout: .now() + timeout) == .success, let url = line.value, url.hasPrefix("http://") else {
            stop()
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            throw Failure(description: "sync-server serve did not start (its log: \(log.suffix(500).trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        self.url = url
        return url
    }

    /// Asks the relay to shut down (SIGTERM, as a service manager would) and waits for it.
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }
}

/// The first line the relay printed, handed from the reading thread.
private final class LineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var text: String?
    func set(_ value: String) { lock.withLock { text = value } }
    var value: String? { lock.withLock { text } }
}
