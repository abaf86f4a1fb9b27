#if canImport(Glibc)
import Dispatch
import Foundation
import Glibc

/// An HTTP/1.1 server on epoll: a few event-loop threads, non-blocking sockets,
/// keep-alive and pipelining, one Swift task per request on the server's own threads
/// (see ``handlerExecutor``).
///
/// ```swift
/// var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
/// let server = try HTTPServer(configuration: configuration) { request in
///     .text("hello \(request.path)\n")
/// }
/// let port = try server.start()
/// // ...
/// server.shutdown()
/// ```
///
/// Guarantees: responses on a connection go out in request order; a malformed request
/// gets a status and a one-line message (see ``HTTPParseError``), then the connection
/// closes; a client that disconnects cancels its handler task and stream.
public final class HTTPServer: Sendable {
    private enum State {
        case idle
        case running(loops: [HTTPEventLoop], finished: [DispatchSemaphore], listenFD: Int32, port: Int)
        case stopped
    }

    public let configuration: HTTPServerConfiguration
    /// Counters for metrics: open connections, responses by status.
    public let stats = HTTPServerStats()
    private let handler: HTTPHandler
    private let executor: HTTPHandlerExecutor
    private let state = HTTPLocked(State.idle)

    /// A server that will answer every request with `handler`.
    ///
    /// - Throws: ``HTTPServerError/invalidConfiguration(_:)`` for an out-of-range value.
    public init(configuration: HTTPServerConfiguration = HTTPServerConfiguration(), handler: @escaping HTTPHandler) throws(HTTPServerError) {
        if let failure = configuration.validationFailure { throw .invalidConfiguration(failure) }
        self.configuration = configuration
        self.handler = handler
        executor = HTTPHandlerExecutor(threadCount: configuration.handlerThreadCount, name: "http-handler")
    }

    /// The executor every handler task prefers: ``HTTPServerConfiguration/handlerThreadCount``
    /// threads of the server's own, running from ``start()`` to ``shutdown()``.
    ///
    /// Handlers, their child tasks and the streams the server iterates never wait for a
    /// free thread in Swift's global pool, which blocking work elsewhere in the process
    /// can exhaust. Unstructured tasks do not inherit the preference; start one here with
    /// `Task(executorPreference: server.handlerExecutor) { ... }`. After shutdown, work
    /// sent here runs on the global concurrent executor.
    public var handlerExecutor: any TaskExecutor { executor }

    /// The bound port while running, else nil.
    public var port: Int? {
        state.withLock { state in
            if case .running(_, _, _, let port) = state { return port }
            return nil
        }
    }

    /// The connections each event loop owns now, in loop order; for tests.
    var connectionsPerLoop: [Int] {
        state.withLock { state in
            if case .running(let loops, _, _, _) = state { return loops.map(\.connectionCount) }
            return []
        }
    }

    /// Binds, listens and starts the event-loop threads.
    ///
    /// - Returns: the bound port (the kernel's pick when the configured port is 0).
    /// - Throws: ``HTTPServerError`` when the address cannot be bound or the server was
    ///   already started.
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        try state.withLock { (state: inout State) throws(HTTPServerError) -> Int in
            guard case .idle = state else { throw .alreadyStarted }
            if configuration.raiseFileDescriptorLimit { HTTPSocket.raiseFileDescriptorLimit() }
            let (listenFD, port) = try HTTPSocket.listen(
                host: configuration.host,
                port: configuration.port,
                backlog: configuration.backlog
            )
            var loops: [HTTPEventLoop] = []
            do throws(HTTPServerError) {
                for _ in 0..<configuration.eventLoopCount {
                    loops.append(try HTTPEventLoop(configuration: configuration, handler: handler, executor: executor, stats: stats))
                }
            } catch {
                Glibc.close(listenFD)
                throw error
            }
            let turns = HTTPAcceptTurns()
            for loop in loops { loop.share(connectionsWith: loops, turns: turns) }
            executor.start()
            var finished: [DispatchSemaphore] = []
            for (index, loop) in loops.enumerated() {
                let done = DispatchSemaphore(value: 0)
                finished.append(done)
                let thread = Thread {
                    loop.run()
                    done.signal()
                }
                thread.name = "http-loop-\(index)"
                thread.start()
                loop.execute { loop.startAccepting(on: listenFD) }
            }
            state = .running(loops: loops, finished: finished, listenFD: listenFD, port: port)
            return port
        }
    }

    /// Stops gracefully with ``HTTPServerConfiguration/shutdownGracePeriod``.
    public func shutdown() {
        shutdown(gracePeriod: configuration.shutdownGracePeriod)
    }

    /// Stops accepting, closes idle connections, lets in-flight requests finish for at
    /// most `gracePeriod`, then closes whatever is left (cancelling its handler) and
    /// returns once every loop thread has ended. The handler threads end after their
    /// current job; a handler still running finishes on the global concurrent executor.
    /// Blocks the caller; safe to call twice. Must not be called from inside a handler.
    public func shutdown(gracePeriod: Duration) {
        let running: (loops: [HTTPEventLoop], finished: [DispatchSemaphore], listenFD: Int32)? = state.withLock { state in
            guard case .running(let loops, let finished, let listenFD, _) = state else {
                state = .stopped
                return nil
            }
            state = .stopped
            return (loops, finished, listenFD)
        }
        guard let running else { return }
        for loop in running.loops {
            loop.execute { loop.beginShutdown() }
        }
        let deadline = HTTPSocket.now() + gracePeriod.nanoseconds
        while stats.openConnections > 0, HTTPSocket.now() < deadline {
            usleep(5_000)
        }
        for loop in running.loops {
            loop.execute { loop.stop() }
        }
        for done in running.finished {
            done.wait()
        }
        executor.shutdown()
        Glibc.close(running.listenFD)
    }

    /// Calls ``shutdown()`` on SIGTERM or SIGINT, then `afterShutdown` (by default,
    /// exit with status 0). Keep the returned value alive as long as the handlers should
    /// stay installed.
    public func installShutdownSignalHandlers(
        afterShutdown: @escaping @Sendable () -> Void = { exit(0) }
    ) -> HTTPShutdownSignalHandlers {
        HTTPShutdownSignalHandlers(signals: [SIGTERM, SIGINT]) { [self] in
            shutdown()
            afterShutdown()
        }
    }
}

/// A value behind a lock; the server's only shared mutable state.
final class HTTPLocked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
#endif
