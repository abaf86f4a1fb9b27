import Foundation

/// How long a sync client waits before it tries again after a transient failure. A device's
/// session and a showroom relay's upstream loops use the same schedule.
public enum SyncBackoff {
    /// The delay before retry `attempt` (1, 2, …): 0.25 s × 2^(attempt-1), capped at
    /// `maxDelay`, then spread ±50% so that devices cut off together do not come back together.
    public static func delay(attempt: Int, maxDelay: Double) -> Double {
        let base = min(maxDelay, 0.25 * pow(2, Double(max(0, attempt - 1))))
        return base * Double.random(in: 0.5...1.5)
    }
}
