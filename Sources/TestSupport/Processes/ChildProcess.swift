import Foundation
import Glibc
import Synchronization

/// A child process started with `posix_spawn` and reaped with `waitpid`, its standard output
/// and error captured.
///
/// Not Foundation's `Process`: that installs a SIGCHLD handler in the test process, and the
/// signal then interrupts blocking reads of other tests running in parallel (`EINTR`). With
/// plain `posix_spawn`, SIGCHLD keeps its default disposition and interrupts nothing. The
/// child gets only standard input (`/dev/null`), output and error: every other descriptor is
/// closed, so it never holds another test's sockets open. It starts with an empty signal mask
/// and default signal handling, as from a shell, whatever the test process blocks or ignores.
///
/// Both outputs are read to the end by threads of their own, so a chatty child never blocks;
/// ``readLine(timeout:)`` takes standard output line by line, ``standardOutput`` and
/// ``standardError`` show what came so far, and ``Result`` holds all of it.
public final class ChildProcess: Sendable {
    /// A child that could not be started, did not answer in time, or did not end.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The child's process id.
    public let pid: pid_t
    /// The executable and arguments, for messages.
    public let commandLine: String
    private let output: CapturedStream
    private let errors: CapturedStream
    /// The raw `waitpid` status once the child has been reaped.
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` (a path; `PATH` is not searched) with `arguments`.
    ///
    /// - Parameters:
    ///   - environment: the child's whole environment; nil passes this process's on.
    ///   - workingDirectory: the child's current folder; nil keeps this process's.
    ///   - standardOutput: an open descriptor the child writes its standard output to (a
    ///     pseudo-terminal, say) instead of a captured pipe; the caller keeps and closes it.
    /// - Throws: ``Failure`` when the child cannot be started.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                workingDirectory: String? = nil, standardOutput: Int32? = nil) throws {
        commandLine = ([executable] + arguments).joined(separator: " ")
        var outputPipe: [Int32] = [-1, -1]
        var errorPipe: [Int32] = [-1, -1]
        guard standardOutput != nil || pipe(&outputPipe) == 0 else { throw Failure("pipe failed: errno \(errno)") }
        guard pipe(&errorPipe) == 0 else {
            Self.closeAll(outputPipe)
            throw Failure("pipe failed: errno \(errno)")
        }
        for fd in outputPipe + errorPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        defer { Self.closeAll([outputPipe[1], errorPipe[1]]) }
        let spawned = Self.spawn(executable, arguments, environment: environment, workingDirectory: workingDirectory,
                                 output: standardOutput ?? outputPipe[1], errors: errorPipe[1])
        switch spawned {
        case .success(let pid):
            self.pid = pid
        case .failure(let failure):
            Self.closeAll([outputPipe[0], errorPipe[0]])
            throw failure
        }
        output = standardOutput == nil ? CapturedStream(reading: outputPipe[0]) : CapturedStream()
        errors = CapturedStream(reading: errorPipe[0])
    }

    deinit {
        if exitStatus.withLock({ $0 }) == nil {
            Glibc.kill(pid, SIGKILL)
            _ = waitForExit(timeout: .seconds(5))
        }
    }

    /// What the child has written to standard output so far (all of it once it has ended).
    public var standardOutput: String { output.text }

    /// What the child has written to standard error so far (all of it once it has ended).
    public var standardError: String { errors.text }

    /// Whether the child has ended (and was reaped).
    public var hasExited: Bool { reap() != nil }

    /// The next line of standard output, without its newline; nil once the child closed it.
    /// Blocks the calling thread.
    /// - Throws: ``Failure`` when no whole line arrives within `timeout`.
    public func readLine(timeout: Duration = .seconds(20)) throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (line, ended) = output.takeLine()
            if let line { return line }
            if ended { return nil }
            guard ContinuousClock.now < deadline else {
                throw Failure("\(commandLine): no line on standard output within \(timeout); standard error: \(standardError)")
            }
            usleep(1_000)
        }
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        Glibc.kill(pid, signal)
    }

    /// Sends SIGKILL.
    public func kill() {
        send(SIGKILL)
    }

    /// Waits for the end, blocking the calling thread, and collects the output; nil when the
    /// child still runs at the deadline.
    public func waitForExit(timeout: Duration = .seconds(20)) -> Result? {
        let deadline = ContinuousClock.now + timeout
        while reap() == nil {
            if ContinuousClock.now > deadline { return nil }
            usleep(2_000)
        }
        let drained = ContinuousClock.now + .seconds(5)
        while !(output.ended && errors.ended), ContinuousClock.now < drained { usleep(1_000) }
        return result()
    }

    /// Waits for the end without holding a thread of the concurrency pool, and collects the
    /// output.
    /// - Throws: ``Failure`` when the child still runs after `timeout`; it is killed then.
    public func finish(timeout: Duration = .seconds(120)) async throws -> Result {
        let deadline = ContinuousClock.now + timeout
        while reap() == nil {
            if ContinuousClock.now > deadline {
                kill()
                _ = waitForExit(timeout: .seconds(5))
                throw Failure("\(commandLine) still ran after \(timeout) and was killed; standard output: \(standardOutput)\n"
                              + "standard error: \(standardError)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        let drained = ContinuousClock.now + .seconds(5)
        while !(output.ended && errors.ended), ContinuousClock.now < drained { try await Task.sleep(for: .milliseconds(1)) }
        return result()
    }

    /// Stops the child: SIGTERM, then SIGKILL when it has not ended after `grace`. Returns how
    /// it ended (nil only if even SIGKILL did not end it within five seconds).
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) -> Result? {
        if reap() == nil {
            send(SIGTERM)
            if let ended = waitForExit(timeout: grace) { return ended }
            kill()
        }
        return waitForExit(timeout: .seconds(5))
    }

    /// The `waitpid` status once the child has ended; never blocks.
    private func reap() -> Int32? {
        exitStatus.withLock { exitStatus in
            if let exitStatus { return exitStatus }
            var status: Int32 = 0
            var result: pid_t
            repeat { result = waitpid(pid, &status, WNOHANG) } while result < 0 && errno == EINTR
            if result == pid {
                exitStatus = status
            } else if result < 0 {
                exitStatus = 0x7F00  // ECHILD: reaped by someone else; reported as exit 127
            }
            return exitStatus
        }
    }

    private func result() -> Result {
        let status = reap() ?? 0
        let signal = status & 0x7F
        return Result(status: signal == 0 ? (status >> 8) & 0xFF : signal, killedBySignal: signal != 0,
                      stdout: output.text, stderr: errors.text)
    }

    private static func closeAll(_ descriptors: [Int32]) {
        for fd in descriptors where fd >= 0 { close(fd) }
    }
}
