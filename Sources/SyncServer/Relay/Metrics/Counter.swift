import Synchronization

/// A monotonically increasing count (Prometheus `counter`), safe to bump from any thread.
public final class Counter: Sendable {
    private let total = Mutex<Double>(0)

    init() {}

    /// Adds `amount` (1 by default).
    /// - Precondition: `amount >= 0`; a counter never goes down.
    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "a counter only goes up; use a Gauge")
        total.withLock { $0 += amount }
    }

    /// The count so far.
    public var value: Double {
        total.withLock { $0 }
    }
}
