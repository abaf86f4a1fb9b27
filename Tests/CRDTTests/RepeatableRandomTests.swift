import Foundation
import Testing
import TestSupport

/// The seeded generator's outputs never change: the pinned seeds of every randomized test
/// (here and in SyncIntegrationTests) name runs by these sequences. The values were taken from
/// the five SplitMix64 copies the suites had before `TestSupport` (`RepeatableRandom`,
/// `CardRandom`, `SeededGenerator`, `CLIClientSeededGenerator`, `SplitMix64`, one algorithm);
/// seed 0 gives the reference outputs published with SplitMix64.
@Suite("Repeatable random")
struct RepeatableRandomTests {
    @Test(arguments: [
        (0, [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC]),
        (1, [0x910A_2DEC_8902_5CC1, 0xBEEB_8DA1_658E_EC67, 0xF893_A2EE_FB32_555E, 0x71C1_8690_EE42_C90B]),
        (42, [0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103, 0x4752_6757_130F_9F52, 0x581C_E1FF_0E4A_E394]),
        (0x5EED_C11, [0xE1A1_2B12_9823_B053, 0x1810_A10B_6F14_FAEC, 0xFD0A_25F6_AD55_6016, 0xF6B7_30B9_B363_1F55]),
    ] as [(UInt64, [UInt64])])
    func firstOutputsArePinned(seed: UInt64, outputs: [UInt64]) {
        var random = RepeatableRandom(seed: seed)
        #expect((0..<4).map { _ in random.next() } == outputs)
    }

    /// What the tests draw from it (integers in a range, shuffles) is pinned too: those go
    /// through the standard library's algorithms, which the pinned seeds rely on as well.
    @Test func drawsArePinned() {
        var integers = RepeatableRandom(seed: 42)
        #expect((0..<8).map { _ in integers.int(0..<100) } == [74, 15, 27, 34, 3, 86, 21, 80])
        var shuffler = RepeatableRandom(seed: 1)
        var deck = Array(0..<10)
        deck.shuffle(using: &shuffler)
        #expect(deck == [5, 7, 9, 6, 3, 8, 2, 0, 1, 4])
        var chances = RepeatableRandom(seed: 0)
        #expect((0..<8).map { _ in chances.chance(50) } == [false, true, true, false, true, true, true, false])
    }

    @Test func seedsAreWrittenInDecimalOrHex() {
        #expect(RepeatableRandom.seed(parsing: "42") == 42)
        #expect(RepeatableRandom.seed(parsing: "0x5EED_C11") == 0x5EED_C11)
        #expect(RepeatableRandom.seed(parsing: "20_261_123") == 20_261_123)
        #expect(RepeatableRandom.seed(parsing: "seven") == nil)
        #expect(RepeatableRandom.seed(parsing: "-1") == nil)
    }

    /// Without `TEST_SEED` or the count variable, a test runs its pinned seeds.
    @Test func theDefaultRunIsThePinnedSeeds() {
        let pinned: [UInt64] = [3, 1, 2]
        let seeds = RepeatableRandom.seeds(pinned: pinned, countVariable: "REPEATABLE_RANDOM_TESTS_UNSET_COUNT")
        if let only = RepeatableRandom.seed(parsing: ProcessInfo.processInfo.environment[RepeatableRandom.seedVariable] ?? "") {
            #expect(seeds == [only])
        } else {
            #expect(seeds == pinned)
        }
    }
}
