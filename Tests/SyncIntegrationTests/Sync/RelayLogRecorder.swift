import Synchronization
@testable import SyncServer

/// A relay log that keeps its lines, for tests that check what an operator is told.
final class RelayLogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    /// The log to give a relay.
    var log: RelayLog {
        RelayLog { [self] line in self.lines.withLock { $0.append(line) } }
    }

    /// The lines of `event` written so far.
    func lines(_ event: String) -> [String] {
        lines.withLock { $0.filter { $0.contains(#""event":"\#(event)""#) } }
    }
}
