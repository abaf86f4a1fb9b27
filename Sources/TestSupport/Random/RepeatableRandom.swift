/// A seeded random number generator (SplitMix64, Steele, Lea and Flood 2014), so every
/// randomized test can be repeated from its seed.
///
/// The one generator of the tests: its outputs for a seed never change, because pinned seeds
/// (`ConvergenceTests`' 300, the chaos test's 7 and 21) name the runs that once found a bug.
/// `RepeatableRandomTests` pins its first outputs.
public struct RepeatableRandom: RandomNumberGenerator, Sendable {
    @usableFromInline var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }

    /// A uniform integer in `range`.
    @inlinable
    public mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }

    /// True with probability `percent`/100.
    @inlinable
    public mutating func chance(_ percent: Int) -> Bool { int(0..<100) < percent }

    /// A uniformly chosen element of a non-empty collection.
    @inlinable
    public mutating func pick<C: Collection>(_ elements: C) -> C.Element where C.Index == Int {
        elements[elements.startIndex + int(0..<elements.count)]
    }
}
