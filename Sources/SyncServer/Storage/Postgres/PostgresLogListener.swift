import Foundation
import Synchronization

/// Something running in the background that ``RelayServer`` stops when it stops.
protocol StoppableListener: Sendable {
    func stop()
}

#if PostgreSQL
import PostgresKit

/// Listens, on a connection and a thread of its own, for the commits of every relay node on
/// a shared database (`NOTIFY` on ``PostgresRelayStorage/channel``) and calls `onCommit`
/// after each burst of them, so that the node lets go of the documents another node changed
/// and wakes the long-polls that may read those changes (``Relay/noticeOtherNodes()``).
///
/// A notification is only a hint: the node reads what changed from the log itself. So a
/// notification lost with a broken connection costs nothing: the listener connects again
/// (after 1 s, then at most every 5 s), and calls `onCommit` once connected, in case it
/// missed one. While nothing arrives it also calls `onCommit` every `idleCheck`, a backstop.
final class PostgresLogListener: StoppableListener {
    private let connectionString: String
    private let log: RelayLog
    private let onCommit: @Sendable () -> Void
    private let idleCheck: Duration
    private let stopped = Atomic<Bool>(false)

    init(connectionString: String, log: RelayLog, idleCheck: Duration = .seconds(5), onCommit: @escaping @Sendable () -> Void) {
        self.connectionString = connectionString
        self.log = log
        self.idleCheck = idleCheck
        self.onCommit = onCommit
    }

    /// Starts the listening thread.
    func start() {
        Thread.detachNewThread { [self] in run() }
    }

    /// Ends the thread within about a quarter second.
    func stop() {
        stopped.store(true, ordering: .releasing)
    }

    private var isStopped: Bool { stopped.load(ordering: .acquiring) }

    private func run() {
        var retry = Duration.seconds(1)
        while !isStopped {
            do {
                let connection = try PostgresConnection(connectionString)
                defer { connection.close() }
                try connection.listen(PostgresRelayStorage.channel)
                retry = .seconds(1)
                onCommit()
                var quiet = Duration.zero
                while !isStopped {
                    // Short waits, so that stop() is honoured promptly.
                    guard try connection.nextNotification(timeout: .milliseconds(250)) != nil else {
                        quiet += .milliseconds(250)
                        if quiet >= idleCheck {
                            quiet = .zero
                            onCommit()
                        }
                        continue
                    }
                    // Take the whole burst, then look once.
                    while try connection.nextNotification(timeout: .zero) != nil {}
                    quiet = .zero
                    onCommit()
                }
            } catch {
                guard !isStopped else { return }
                log.log("postgres_listener", ["error": .string("\(error)"), "retry_seconds": .integer(retry.components.seconds)])
                Thread.sleep(forTimeInterval: Double(retry.components.seconds))
                retry = min(retry * 2, .seconds(5))
            }
        }
    }
}
#endif
