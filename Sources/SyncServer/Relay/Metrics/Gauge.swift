import Synchronization

/// A value that goes up and down (Prometheus `gauge`), safe to set from any thread.
public final class Gauge: Sendable {
    private let current = Mutex<Double>(0)

    init() {}

    /// Replaces the value.
    public func set(_ value: Double) {
        current.withLock { $0 = value }
    }

    /// Adds `amount`, which may be negative.
    public func add(_ amount: Double) {
        current.withLock { $0 += amount }
    }

    /// The current value.
    public var value: Double {
        current.withLock { $0 }
    }
}
