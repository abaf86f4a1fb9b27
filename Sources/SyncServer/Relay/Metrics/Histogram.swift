import Synchronization

/// Observations counted into fixed buckets (Prometheus `histogram`), safe from any thread.
///
/// Buckets are upper bounds, inclusive (`le`); an observation above the last bound is counted
/// only in the implicit `+Inf` bucket, so ``Snapshot/count`` is always the total.
public final class Histogram: Sendable {
    /// A consistent copy of the histogram.
    public struct Snapshot: Sendable, Equatable {
        /// The configured upper bounds, ascending.
        public var bounds: [Double]
        /// Observations ≤ each bound (cumulative, as exposed), one per bound.
        public var cumulativeCounts: [UInt64]
        /// The sum of every observation.
        public var sum: Double
        /// The number of observations (the `+Inf` bucket).
        public var count: UInt64
    }

    private struct State {
        var counts: [UInt64]
        var sum: Double = 0
        var count: UInt64 = 0
    }

    /// The upper bounds, ascending.
    public let bounds: [Double]
    private let state: Mutex<State>

    /// Latency buckets in seconds, from 1 ms to 10 s.
    public static let latencySeconds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// - Precondition: `bounds` is not empty, finite and strictly ascending.
    init(bounds: [Double]) {
        precondition(!bounds.isEmpty && bounds.allSatisfy(\.isFinite), "histogram bounds must be finite and not empty")
        precondition(zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 }, "histogram bounds must be strictly ascending")
        self.bounds = bounds
        state = Mutex(State(counts: Array(repeating: 0, count: bounds.count)))
    }

    /// Records one observation.
    /// - Complexity: O(log b) for b buckets.
    public func observe(_ value: Double) {
        // The first bound ≥ value; values above every bound land only in +Inf.
        var low = 0
        var high = bounds.count
        while low < high {
            let middle = (low + high) / 2
            if bounds[middle] < value { low = middle + 1 } else { high = middle }
        }
        state.withLock { state in
            if low < state.counts.count { state.counts[low] += 1 }
            state.sum += value
            state.count += 1
        }
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        observe(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Every count at one instant, with buckets made cumulative.
    public var snapshot: Snapshot {
        state.withLock { state in
            var running: UInt64 = 0
            let cumulative = state.counts.map { count -> UInt64 in
                running += count
                return running
            }
            return Snapshot(bounds: bounds, cumulativeCounts: cumulative, sum: state.sum, count: state.count)
        }
    }
}
