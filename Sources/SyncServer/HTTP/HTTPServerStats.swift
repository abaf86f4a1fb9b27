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
}
