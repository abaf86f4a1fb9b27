#if canImport(Glibc)
import Foundation
import Glibc
import Synchronization

/// One event-loop thread: an epoll instance, the connections it owns, and a queue of
/// work handed in from other threads (woken through an eventfd).
///
/// Everything but ``execute(_:)`` runs on the loop's own thread; connections are
/// confined to it, which is why they need no locks.
final class HTTPEventLoop: @unchecked Sendable {
    static let listenerID: UInt64 = 0
    static let wakeID: UInt64 = 1

    let configuration: HTTPServerConfiguration
    let handler: HTTPHandler
    /// Where handler tasks run; shared by every loop of a server.
    let handlerExecutor: HTTPHandlerExecutor
    let stats: HTTPServerStats
    private let epollFD: Int32
    private let wakeFD: Int32
    private let lock = NSLock()
    private var queued: [@Sendable () -> Void] = []
    private var stopped = false
    /// Connections this loop owns, readable from any thread (the loop thread writes it).
    private let ownedConnections = Atomic<Int>(0)
    /// Every loop of the server, this one included, and the turn counter they share: set
    /// once by ``share(connectionsWith:turns:)`` before the loop runs; emptied when it ends.
    private var group: [HTTPEventLoop] = []
    private var turns: HTTPAcceptTurns?

    // Loop-thread state.
    private var connections: [UInt64: HTTPConnection] = [:]
    private var nextConnectionID: UInt64 = 2
    private var listenFD: Int32 = -1
    private var acceptResumesAt: UInt64?
    private var running = true
    private(set) var isShuttingDown = false
    private(set) var now: UInt64 = HTTPSocket.now()
    private var nextTick: UInt64 = 0
    private var cachedDate = (second: 0, text: "")
    /// The most queued output any connection of this loop has held; the shared stats are
    /// told only when it grows, which keeps their lock off the per-response path.
    private var peakQueuedOutput = 0
    /// Shared by every connection of this loop: reads land here, then only the bytes
    /// read are copied into a connection's parser, so idle connections hold no buffer.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

    init(
        configuration: HTTPServerConfiguration,
        handler: @escaping HTTPHandler,
        executor: HTTPHandlerExecutor,
        stats: HTTPServerStats
    ) throws(HTTPServerError) {
        self.configuration = configuration
        self.handler = handler
        handlerExecutor = executor
        self.stats = stats
        epollFD = HTTPSystemCalls.shared.epollCreate1(HTTPEpoll.closeOnExec)
        guard epollFD >= 0 else { throw .socketFailed(call: "epoll_create1", errno: errno) }
        wakeFD = HTTPSystemCalls.shared.eventFD(0, HTTPEpoll.eventNonBlocking | HTTPEpoll.closeOnExec)
        guard wakeFD >= 0 else {
            let code = errno
            Glibc.close(epollFD)
            throw .socketFailed(call: "eventfd", errno: code)
        }
        HTTPEpoll.control(epollFD, HTTPEpoll.add, wakeFD, events: HTTPEpoll.input, data: Self.wakeID)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Runs `work` on the loop thread soon; callable from any thread. After the loop has
    /// stopped, `work` runs at once on the caller's thread and finds no connections.
    ///
    /// Only the work that finds the queue empty wakes the loop (one `eventfd` write): the
    /// loop takes the whole queue at once, so work queued behind it is run with it. Thousands
    /// of answers handed in together (a relay's fan-out) cost one wake-up, not one each.
    func execute(_ work: @escaping @Sendable () -> Void) {
        let (runNow, wake) = lock.withLock {
            if stopped { return (true, false) }
            queued.append(work)
            return (false, queued.count == 1)
        }
        if runNow {
            work()
            return
        }
        guard wake else { return }
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// The open connection with this id, on the loop thread.
    func connection(_ id: UInt64) -> HTTPConnection? {
        connections[id]
    }

    /// Connections this loop owns now; callable from any thread.
    var connectionCount: Int { ownedConnections.load(ordering: .relaxed) }

    /// Makes this loop hand the connections it accepts round the server's `loops` in turn
    /// (see `acceptConnections`). Called once, before the loop's thread starts.
    func share(connectionsWith loops: [HTTPEventLoop], turns: HTTPAcceptTurns) {
        group = loops
        self.turns = turns
    }

    /// Starts accepting on the shared listening socket; EPOLLEXCLUSIVE wakes one loop per
    /// incoming connection instead of all of them.
    func startAccepting(on fd: Int32) {
        listenFD = fd
        HTTPEpoll.control(epollFD, HTTPEpoll.add, fd, events: HTTPEpoll.input | HTTPEpoll.exclusive, data: Self.listenerID)
    }

    /// Stops accepting, closes idle connections and marks busy ones to close after
    /// their current response.
    func beginShutdown() {
        isShuttingDown = true
        if listenFD >= 0, acceptResumesAt == nil {
            HTTPEpoll.control(epollFD, HTTPEpoll.delete, listenFD, events: 0, data: 0)
        }
        listenFD = -1
        for connection in Array(connections.values) {
            connection.shutdownRequested()
        }
    }

    /// Closes every connection and ends the loop.
    func stop() {
        for connection in Array(connections.values) {
            connection.close()
        }
        running = false
    }

    /// The loop body; returns after ``stop()``.
    func run() {
        let capacity = 256
        let events = UnsafeMutableRawPointer.allocate(byteCount: capacity * HTTPEpoll.eventSize, alignment: 8)
        defer { events.deallocate() }
        let tick = configuration.tickInterval.nanoseconds
        nextTick = HTTPSocket.now() + tick
        while running {
            let wait = nextTick > now ? Int32(clamping: (nextTick - now + 999_999) / 1_000_000) : 0
            let count = HTTPSystemCalls.shared.epollWait(epollFD, events, Int32(capacity), wait)
            now = HTTPSocket.now()
            for index in 0..<Int(max(count, 0)) {
                let (flags, id) = HTTPEpoll.load(at: index, from: events)
                switch id {
                case Self.listenerID: acceptConnections()
                case Self.wakeID:
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                default: connections[id]?.handle(events: flags)
                }
            }
            runQueued()
            if now >= nextTick {
                nextTick = now + tick
                checkTimers()
            }
        }
        for connection in Array(connections.values) {
            connection.close()
        }
        lock.withLock { stopped = true }
        // Work queued between the last pass and `stopped` finds no connections (and a
        // connection handed over meanwhile is closed: `running` is false).
        runQueued()
        group = []
        Glibc.close(wakeFD)
        Glibc.close(epollFD)
    }

    private func runQueued() {
        while true {
            let work = lock.withLock {
                let batch = queued
                queued = []
                return batch
            }
            if work.isEmpty { return }
            for item in work { item() }
        }
    }

    /// Accepts what the listener has, handing each connection to the server's loops in
    /// turn: EPOLLEXCLUSIVE wakes whichever loop the kernel picks, usually the same one while
    /// it is idle, so left to itself one loop came to own 70% of 10,000 connections and wrote
    /// 70% of a fan-out's answers while the other core waited (`sync-bench relay --watchers`).
    private func acceptConnections() {
        guard listenFD >= 0, !isShuttingDown else { return }
        for _ in 0..<64 {
            switch HTTPSocket.accept(listenFD) {
            case .accepted(let fd, let remote):
                let owner = group.isEmpty ? self : group[(turns?.next() ?? 0) % group.count]
                if owner === self {
                    open(fd, remote: remote)
                } else if !owner.adopt(fd, remote: remote) {
                    Glibc.close(fd)
                }
            case .wouldBlock:
                return
            case .retry:
                continue
            case .exhausted:
                // Out of descriptors: a level-triggered listener would spin, so step
                // back for a moment; pending clients wait in the backlog.
                HTTPEpoll.control(epollFD, HTTPEpoll.delete, listenFD, events: 0, data: 0)
                acceptResumesAt = now + 100_000_000
                return
            }
        }
    }

    /// Takes a connection another loop accepted; false when this loop has stopped (the
    /// caller closes it). Callable from any thread.
    private func adopt(_ fd: Int32, remote: String) -> Bool {
        let (adopted, wake) = lock.withLock {
            if stopped { return (false, false) }
            queued.append { [self] in self.open(fd, remote: remote) }
            return (true, queued.count == 1)
        }
        if wake {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, 8)
        }
        return adopted
    }

    /// Starts serving an accepted connection, on the loop thread.
    private func open(_ fd: Int32, remote: String) {
        // Handed over while this loop was shutting down or after it ended.
        guard running, !isShuttingDown else {
            Glibc.close(fd)
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = HTTPConnection(id: id, fd: fd, remoteAddress: remote, loop: self)
        connections[id] = connection
        ownedConnections.add(1, ordering: .relaxed)
        stats.connectionOpened()
        HTTPEpoll.control(epollFD, HTTPEpoll.add, fd, events: connection.interest, data: id)
    }

    private func checkTimers() {
        if let resume = acceptResumesAt, now >= resume {
            acceptResumesAt = nil
            if listenFD >= 0 {
                HTTPEpoll.control(epollFD, HTTPEpoll.add, listenFD, events: HTTPEpoll.input | HTTPEpoll.exclusive, data: Self.listenerID)
            }
        }
        for connection in Array(connections.values) {
            connection.checkDeadlines(now: now)
        }
    }

    func updateInterest(of fd: Int32, id: UInt64, events: UInt32) {
        HTTPEpoll.control(epollFD, HTTPEpoll.modify, fd, events: events, data: id)
    }

    /// Notes how many response bytes a connection holds queued right now.
    func observeQueuedOutput(_ bytes: Int) {
        guard bytes > peakQueuedOutput else { return }
        peakQueuedOutput = bytes
        stats.queuedOutputObserved(bytes)
    }

    /// Forgets a closed connection.
    func remove(_ connection: HTTPConnection) {
        HTTPEpoll.control(epollFD, HTTPEpoll.delete, connection.fd, events: 0, data: 0)
        connections[connection.id] = nil
        ownedConnections.subtract(1, ordering: .relaxed)
        stats.connectionClosed()
    }

    /// The current time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), cached per second.
    var date: String {
        var seconds = time(nil)
        if seconds != cachedDate.second {
            var parts = tm()
            gmtime_r(&seconds, &parts)
            var text = [CChar](repeating: 0, count: 64)
            let length = strftime(&text, text.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
            cachedDate = (seconds, String(decoding: text.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return cachedDate.text
    }
}
#endif
