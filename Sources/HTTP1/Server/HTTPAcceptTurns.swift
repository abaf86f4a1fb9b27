import Synchronization

/// The turn counter a server's event loops share to hand the connections they accept
/// round every loop in turn (see `HTTPEventLoop.acceptConnections`).
final class HTTPAcceptTurns: Sendable {
    private let counter = Atomic<Int>(0)

    /// The next turn: 0, 1, 2, ... (wrapping).
    func next() -> Int {
        counter.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
    }
}
