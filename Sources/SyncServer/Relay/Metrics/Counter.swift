import Synchronization

/// A monotonically increasing count (Prometheus `counter`), safe to bump from any thread.
public final class Counter: Sendable {
    /// The count's bit pattern: lock-free, since every answered request bumps one and a
    /// fan-out answers thousands at once from several threads.
    private let total = Atomic<UInt64>(0.0.bitPattern)

    init() {}

    /// Adds `amount` (1 by default).
    /// - Precondition: `amount >= 0`; a counter never goes down.
    public func increment(by amount: Double = 1) {
        precondition(amount >= 0, "a counter only goes up; use a Gauge")
        var seen = total.load(ordering: .relaxed)
        while true {
            let (exchanged, original) = total.compareExchange(
                expected: seen, desired: (Double(bitPattern: seen) + amount).bitPattern, ordering: .relaxed)
            if exchanged { return }
            seen = original
        }
    }

    /// The count so far.
    public var value: Double {
        Double(bitPattern: total.load(ordering: .relaxed))
    }
}
