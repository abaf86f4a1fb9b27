import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn` and reaped with `waitpid`.
///
/// Not Foundation's `Process`: that installs a SIGCHLD handler in the test process, and the
/// signal then interrupts blocking reads of other tests running in parallel (`EINTR`). With
/// plain `posix_spawn`, SIGCHLD keeps its default disposition and interrupts nothing. The
/// child gets only standard input (`/dev/null`), output and error: every other descriptor is
/// closed, so it never holds another test's sockets open.
final class ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+; a GNU extension the Glibc
    /// module does not import), found with `dlsym`.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32)? = {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32).self)
    }()

    let pid: pid_t
    private let outputFD: Int32
    private var pending: [UInt8] = []
    private let errors = CollectedBytes()
    private let errorReader: Thread
    private var exitCode: Int32?

    init(_ executable: String, _ arguments: [String]) throws {
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0 else {
            throw Failure(description: "pipe failed: errno \(errno)")
        }
        for fd in outputPipe + errorPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        _ = Self.addCloseFrom?(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(outputPipe[1])
        close(errorPipe[1])
        guard result == 0 else {
            close(outputPipe[0])
            close(errorPipe[0])
            throw Failure(description: "posix_spawn \(executable) failed: \(String(cString: strerror(result)))")
        }
        self.pid = pid
        outputFD = outputPipe[0]
        let errorFD = errorPipe[0]
        let errors = self.errors
        errorReader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(errorFD, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                errors.append(Data(buffer[..<count]))
            }
            close(errorFD)
        }
        errorReader.start()
    }

    deinit {
        if exitCode == nil {
            kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(5))
        }
        close(outputFD)
    }

    /// What the child has written to standard error so far (all of it once it has exited).
    var standardError: String {
        errors.text
    }

    /// The next line of standard output, without its newline; nil at end of file.
    /// - Throws: when no whole line arrives in time.
    func readLine(timeout: Duration = .seconds(20)) throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(...newline)
                return line
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw Failure(description: "timed out waiting for a line on standard output") }
            var poller = pollfd(fd: outputFD, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(min(remaining.components.seconds * 1000 + 1, 1000))) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(outputFD, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return nil }
            pending.append(contentsOf: buffer[..<count])
        }
    }

    /// Everything left on standard output, until the child closes it.
    func readRemainingOutput(timeout: Duration = .seconds(20)) throws -> String {
        var lines: [String] = []
        while let line = try readLine(timeout: timeout) { lines.append(line + "\n") }
        let rest = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        return lines.joined() + rest
    }

    /// Sends `signal` to the child.
    func send(_ signal: Int32) {
        kill(pid, signal)
    }

    /// The exit code (128 + n after signal n) once the child has ended and its standard
    /// error is drained; nil when it is still running at the deadline.
    func waitForExit(timeout: Duration = .seconds(20)) -> Int32? {
        if let exitCode { return exitCode }
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { break }
            if result < 0, errno != EINTR { return nil }
            if ContinuousClock.now > deadline { return nil }
            usleep(2_000)
        }
        let signal = status & 0x7F
        exitCode = signal == 0 ? (status >> 8) & 0xFF : 128 + signal
        while !errorReader.isFinished, ContinuousClock.now < deadline { usleep(1_000) }
        return exitCode
    }
}

/// The built `sync-server` executable, run as a child process by the tests.
enum SyncServerExecutable {
    /// The executable next to the test runner (`.build/debug/sync-server`), or nil.
    ///
    /// On Linux the runner is `.build/debug/<Package>PackageTests.xctest`, so
    /// `CommandLine.arguments[0]` and `Bundle.main` both point into the build folder; each is
    /// tried, then the bundle's parent (the layout on macOS).
    static let path: String? = {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let folders = [runner.deletingLastPathComponent(), Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        return folders.map { $0.appendingPathComponent("sync-server").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Starts the executable.
    static func start(_ arguments: [String]) throws -> ChildProcess {
        guard let path else {
            throw ChildProcess.Failure(description:
                "sync-server was not found next to the test runner (\(CommandLine.arguments[0])); run 'swift build' first")
        }
        return try ChildProcess(path, arguments)
    }

    /// Runs the executable to completion and returns its exit code and output.
    static func run(_ arguments: [String]) throws -> (code: Int32, output: String, errors: String) {
        let child = try start(arguments)
        let output = try child.readRemainingOutput()
        guard let code = child.waitForExit() else {
            throw ChildProcess.Failure(description: "sync-server \(arguments.joined(separator: " ")) did not exit")
        }
        return (code, output, child.standardError)
    }
}

/// Bytes appended from another thread.
final class CollectedBytes: Sendable {
    private let bytes = Mutex(Data())

    func append(_ data: Data) {
        bytes.withLock { $0.append(data) }
    }

    var text: String {
        bytes.withLock { String(decoding: $0, as: UTF8.self) }
    }
}
