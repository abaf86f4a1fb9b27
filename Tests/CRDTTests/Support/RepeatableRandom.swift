/// A seeded random number generator (SplitMix64), so every randomized test can be repeated
/// from the seed it prints.
struct RepeatableRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A uniform integer in `range`.
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }
}

/// The seeds a randomized test runs: the pinned ones, or `count` more from the environment
/// variable `name` when it is set (e.g. `CRDT_FUZZ_SEEDS=5000 swift test`).
func seeds(pinned: [UInt64], environment name: String) -> [UInt64] {
    if let value = ProcessInfoLite.environment(name), let count = UInt64(value), count > 0 {
        return Array(1...count)
    }
    return pinned
}

import Foundation

enum ProcessInfoLite {
    static func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
}
