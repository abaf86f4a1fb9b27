import Foundation

/// When the long-polls' waits run out, in ticks: the relay sweeps the due ones once a tick,
/// instead of running a timer per long-poll (with thousands of watchers, starting a timer
/// task for each and cancelling it when a commit wakes them all costs more than the wake-up).
///
/// A value: ticks are whole numbers of ``tick`` since an instant the owner chooses. A wait
/// ends at the first sweep at or after its deadline, so at most about one tick late, never
/// early.
///
/// - Complexity: ``insert(_:at:)`` and ``remove(_:at:)`` O(1); ``takeDue(through:)``
///   O(ticks pending + due), with at most 30 s of ticks pending.
struct LongPollDeadlines {
    /// How often waits are swept.
    static let tick = Duration.milliseconds(100)

    private var buckets: [Int64: Set<UUID>] = [:]

    var isEmpty: Bool { buckets.isEmpty }

    /// The first tick at or after `offset` from the owner's origin: a deadline's.
    static func tick(atOrAfter offset: Duration) -> Int64 {
        let nanoseconds = max(0, nanoseconds(offset))
        return (nanoseconds + tickNanoseconds - 1) / tickNanoseconds
    }

    /// The last tick begun by `offset` from the owner's origin: the one a sweep then ends.
    static func tick(before offset: Duration) -> Int64 {
        max(0, nanoseconds(offset)) / tickNanoseconds
    }

    private static let tickNanoseconds = nanoseconds(tick)

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    mutating func insert(_ id: UUID, at tick: Int64) {
        buckets[tick, default: []].insert(id)
    }

    mutating func remove(_ id: UUID, at tick: Int64) {
        buckets[tick]?.remove(id)
        if buckets[tick]?.isEmpty == true { buckets[tick] = nil }
    }

    /// Takes out every long-poll whose deadline is at or before `tick`.
    mutating func takeDue(through tick: Int64) -> [UUID] {
        var due: [UUID] = []
        for key in buckets.keys.filter({ $0 <= tick }) {
            due.append(contentsOf: buckets.removeValue(forKey: key) ?? [])
        }
        return due
    }
}
