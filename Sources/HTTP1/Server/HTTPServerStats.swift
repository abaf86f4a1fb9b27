import Foundation

/// Thread-safe counters an ``HTTPServer`` keeps for metrics export.
public final class HTTPServerStats: @unchecked Sendable {
    /// A consistent copy of every counter.
    public struct Snapshot: Sendable, Equatable {
        /// Connections open right now.
        public var openConnections: Int
        /// Connections accepted since start.
        public var acceptedConnections: Int
        /// Responses started since start, by status code (parser refusals included).
        public var responsesByStatus: [Int: Int]
        /// Requests handed to the handler since start.
        public var requestsDispatched = 0
        /// The most response bytes any one connection has held queued and unsent at once,
        /// since start. Stays near ``HTTPServerConfiguration/maxQueuedOutputBytes`` plus
        /// one response however many requests a client pipelines without reading.
        public var peakQueuedOutputBytes = 0
        /// How often a connection stopped taking requests because its client had not read
        /// ``HTTPServerConfiguration/maxQueuedOutputBytes`` of answers, since start.
        public var outputPauses = 0

        /// Responses started since start.
        public var totalResponses: Int { responsesByStatus.values.reduce(0, +) }
    }

    private let lock = NSLock()
    private var counters = Snapshot(openConnections: 0, acceptedConnections: 0, responsesByStatus: [:])

    init() {}

    /// Every counter at one instant.
    public var snapshot: Snapshot {
        lock.withLock { counters }
    }

    /// Connections open right now.
    public var openConnections: Int {
        lock.withLock { counters.openConnections }
    }

    /// Responses with `status` started since start.
    public func responses(status: Int) -> Int {
        lock.withLock { counters.responsesByStatus[status, default: 0] }
    }

    func connectionOpened() {
        lock.withLock {
            counters.openConnections += 1
            counters.acceptedConnections += 1
        }
    }

    func connectionClosed() {
        lock.withLock { counters.openConnections -= 1 }
    }

    func responseStarted(status: Int) {
        lock.withLock { counters.responsesByStatus[status, default: 0] += 1 }
    }

    func requestDispatched() {
        lock.withLock { counters.requestsDispatched += 1 }
    }

    /// Records a connection's queued output; loops call it only when they see a new peak
    /// of their own, so the lock is taken rarely.
    func queuedOutputObserved(_ bytes: Int) {
        lock.withLock { counters.peakQueuedOutputBytes = max(counters.peakQueuedOutputBytes, bytes) }
    }

    func outputPaused() {
        lock.withLock { counters.outputPauses += 1 }
    }
}
