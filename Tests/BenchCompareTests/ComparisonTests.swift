import BenchCompare
import Testing

/// Reading the peers' lines, combining repeats, and choosing the best peer for each figure.
@Suite("Comparison")
struct ComparisonTests {
    @Test func aPeerLineIsReadWithItsTypes() throws {
        let line = #"{"bench": "compare", "converged": true, "library": "loro", "not_available": {"setup_ms": "why"}, "repeat": 3, "total_ms": 2857.5, "workload": "dealcards"}"#
        let fields = try #require(FigureLine.parse(line))
        #expect(fields["converged"] == .bool(true))
        #expect(fields["repeat"] == .int(3))
        #expect(fields["total_ms"] == .double(2857.5))
        #expect(fields["not_available"]?.object?["setup_ms"] == "why")
        #expect(FigureLine.parse("Traceback (most recent call last):") == nil)
        #expect(FigureLine.parse("{not json") == nil)
        #expect(FigureLine.render(["b": 1, "a": "x/y", "c": 0.5]) == #"{"a":"x/y","b":1,"c":0.5}"#)
    }

    @Test(arguments: [
        ([3.0], 3.0), ([5.0, 1.0, 3.0], 3.0), ([4.0, 1.0, 2.0, 3.0], 2.5), ([], 0.0),
    ] as [([Double], Double)])
    func median(values: [Double], expected: Double) {
        #expect(Repeats.median(values) == expected)
    }

    @Test func repeatsTakeTheMedianOfTimesAndNameFiguresThatMoved() {
        let runs: [Fields] = [
            ["replay_ms": 10.0, "snapshot_bytes": 100, "trace": "t"],
            ["replay_ms": 30.0, "snapshot_bytes": 100, "trace": "t"],
            ["replay_ms": 20.004, "snapshot_bytes": 101, "trace": "t"],
        ]
        let combined = Repeats.combine(runs)
        #expect(combined["replay_ms"] == .double(20))
        #expect(combined["snapshot_bytes"] == 100)
        #expect(combined["varied_between_repeats"] == .array(["snapshot_bytes"]))
        #expect(Repeats.combine([runs[0]])["varied_between_repeats"] == nil)
    }

    static let ours: Fields = [
        "workload": "trace", "trace": "automerge-paper", "library": "dealsync", "replay_ms": 300.0,
        "snapshot_bytes": 2_000, "final_length": 104_852, "matches_end_content": true,
        "peak_rss_mib": 100.0, "baseline_rss_mib": 60.0,
    ]

    @Test func theBestPeerIsTheLowestFigureAndTheRatioIsOursOverIt() {
        let loro: Fields = ["workload": "trace", "trace": "automerge-paper", "library": "loro", "replay_ms": 1_000.0,
                            "snapshot_bytes": 1_000, "peak_rss_mib": 200.0, "baseline_rss_mib": 190.0]
        let yrs: Fields = ["workload": "trace", "trace": "automerge-paper", "library": "yrs", "replay_ms": 600.0,
                           "snapshot_bytes": 1_600, "peak_rss_mib": 150.0, "baseline_rss_mib": 100.0,
                           "not_available": .object(["snapshot_bytes": "cannot"])]
        let rows = Comparison.rows(ours: [Self.ours], peers: [loro, yrs])
        #expect(rows.map(\.metric) == ["replay_ms", "snapshot_bytes", "peak_rss_mib", Comparison.workingMemoryMetric])
        #expect(Comparison.rows(ours: [Self.ours], peers: [loro], reports: ["trace": ["snapshot_bytes", "replay_ms"]]).map(\.metric)
            == ["snapshot_bytes", "replay_ms", "peak_rss_mib", Comparison.workingMemoryMetric])
        let replay = rows[0]
        #expect(replay.bestPeer == "yrs" && replay.best == 600 && replay.ratio == 0.5 && replay.trace == "automerge-paper")
        #expect(replay.peers.map(\.library) == ["loro", "yrs"])
        // Yrs said it has no snapshot figure, so Loro is the only one.
        #expect(rows[1].bestPeer == "loro" && rows[1].ratio == 2)
        // The memory above each one's own baseline: ours 40, Loro 10, Yrs 50.
        #expect(rows[3].bestPeer == "loro" && rows[3].ratio == 4)
        #expect(rows[0].fields["ratio"] == 0.5 && rows[0].fields["workload"] == "trace" && rows[0].fields["metric"] == "replay_ms")
    }

    @Test func wrongOrMissingPeersAreNotCompared() {
        let wrong: Fields = ["workload": "trace", "trace": "automerge-paper", "library": "loro", "replay_ms": 1.0,
                             "matches_end_content": false]
        let otherTrace: Fields = ["workload": "trace", "trace": "seph-blog1", "library": "yrs", "replay_ms": 1.0]
        let absent: Fields = ["workload": "trace", "trace": "automerge-paper", "library": "yrs",
                              "not_available": .object(["workload": "not supported"])]
        #expect(Comparison.rows(ours: [Self.ours], peers: [wrong, otherTrace, absent]).isEmpty)
        #expect(Comparison.unusable(wrong) == "matches_end_content is false")
    }

    @Test func onlyLowerIsBetterFiguresAreCompared() {
        #expect(Comparison.isCompared("replay_ms") && Comparison.isCompared("snapshot_bytes"))
        #expect(Comparison.isCompared("bytes_exchanged") && Comparison.isCompared("peak_rss_mib"))
        #expect(Comparison.isCompared("delta_bytes_applied") && !Comparison.isCompared("bytesize"))
        #expect(!Comparison.isCompared("baseline_rss_mib") && !Comparison.isCompared("final_length"))
        #expect(!Comparison.isCompared("deltas_exchanged") && !Comparison.isCompared("repeat"))
    }

    @Test func theTableAlignsFiguresWithTheirUnits() {
        #expect(ComparisonTable.quantity(1_034.4, metric: "replay_ms") == "1,034 ms")
        #expect(ComparisonTable.quantity(0.731, metric: "load_read_ms") == "0.73 ms")
        #expect(ComparisonTable.quantity(229_440, metric: "snapshot_bytes") == "229,440 B")
        #expect(ComparisonTable.quantity(196.14, metric: "peak_rss_mib") == "196.1 MiB")
        #expect(ComparisonTable.quantity(1_287_497, metric: "delta_bytes_applied") == "1,287,497 B")
        #expect(ComparisonTable.quantity(67.61, metric: "delta_bytes_per_document") == "67.6 B")
        #expect(ComparisonTable.ratio(0.3333) == "0.33×" && ComparisonTable.ratio(12.4) == "12×" && ComparisonTable.ratio(0.0123) == "0.012×")
        let row = ComparisonRow(workload: "dealcards", trace: nil, metric: "total_ms", ours: 500, peers: [("loro", 2_000), ("yrs", 1_000)],
                                bestPeer: "yrs", best: 1_000, ratio: 0.5)
        #expect(ComparisonTable.render([row], peers: ["loro", "yrs"]) == """
            workload   metric    dealsync      loro       yrs  ours / best
            dealcards  total_ms    500 ms  2,000 ms  1,000 ms    0.50× yrs
            """)
        #expect(Comparison.significant(0.123456, digits: 3) == 0.123 && Comparison.significant(1234.5, digits: 3) == 1230)
    }
}
