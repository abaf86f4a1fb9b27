import Foundation

extension RepeatableRandom {
    /// The environment variable that runs one seed, in every randomized test that takes its
    /// seeds from ``seeds(pinned:countVariable:)``: `TEST_SEED=42 swift test --filter Chaos`.
    public static let seedVariable = "TEST_SEED"

    /// The seeds a randomized test runs, for `@Test(arguments:)`.
    ///
    /// - `TEST_SEED=n` (decimal, or hex with `0x`): seed `n` alone, to repeat a failure;
    /// - else `countVariable=N` when that variable is set (`CRDT_FUZZ_SEEDS=5000`): seeds 1...N,
    ///   to look for new failures;
    /// - else `pinned`: the default run. Add every seed that ever failed to the pinned list.
    ///
    /// A randomized test takes its seed as its argument, so Swift Testing names the seed in
    /// every issue the test records and every error it throws ("with 1 argument seed → 42"):
    /// that is how every failing seed is reported, the same way in every suite.
    ///
    /// - Precondition: `TEST_SEED`, when set, is a number.
    public static func seeds(pinned: [UInt64], countVariable: String? = nil) -> [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment[seedVariable] {
            guard let seed = seed(parsing: text) else {
                preconditionFailure("\(seedVariable)=\(text) is not a seed: give a decimal number or one in hex after 0x")
            }
            return [seed]
        }
        if let countVariable, let text = environment[countVariable], let count = UInt64(text), count > 0 {
            return Array(1...count)
        }
        return pinned
    }

    /// A seed written in decimal or, after `0x`, in hex; underscores are ignored, as in Swift.
    public static func seed(parsing text: String) -> UInt64? {
        let digits = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "")
        if digits.lowercased().hasPrefix("0x") { return UInt64(digits.dropFirst(2), radix: 16) }
        return UInt64(digits)
    }
}
