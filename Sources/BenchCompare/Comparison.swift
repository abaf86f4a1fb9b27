/// One figure of ours set against the best peer's: a line of `sync-bench compare`'s summary.
public struct ComparisonRow: Equatable, Sendable {
    public var workload: String
    /// The trace, for workloads with one line per trace.
    public var trace: String?
    public var metric: String
    public var ours: Double
    /// Every usable peer's figure, in the order the peers were given.
    public var peers: [(library: String, value: Double)]
    public var bestPeer: String
    public var best: Double
    /// `ours / best`: below 1 we need less (time, bytes or memory) than the best peer.
    public var ratio: Double

    public init(workload: String, trace: String?, metric: String, ours: Double, peers: [(library: String, value: Double)],
                bestPeer: String, best: Double, ratio: Double) {
        self.workload = workload
        self.trace = trace
        self.metric = metric
        self.ours = ours
        self.peers = peers
        self.bestPeer = bestPeer
        self.best = best
        self.ratio = ratio
    }

    public static func == (lhs: ComparisonRow, rhs: ComparisonRow) -> Bool {
        lhs.workload == rhs.workload && lhs.trace == rhs.trace && lhs.metric == rhs.metric && lhs.ours == rhs.ours
            && lhs.peers.map(\.library) == rhs.peers.map(\.library) && lhs.peers.map(\.value) == rhs.peers.map(\.value)
            && lhs.bestPeer == rhs.bestPeer && lhs.best == rhs.best && lhs.ratio == rhs.ratio
    }

    /// The row as a JSON line's fields (`bench`, `workload`, `metric`, `ours`, `best_peer`,
    /// `best`, `ratio`, and `trace` where there is one).
    public var fields: Fields {
        var fields: Fields = [
            "bench": "compare", "workload": .string(workload), "metric": .string(metric),
            "ours": .double(ours), "best_peer": .string(bestPeer), "best": .double(best), "ratio": .double(ratio),
        ]
        if let trace { fields["trace"] = .string(trace) }
        return fields
    }
}

/// Setting our lines against the peers' lines of the same workload (and trace).
public enum Comparison {
    /// The peak resident set above the baseline: the memory the workload itself took, with
    /// the interpreter and the parsed inputs left out. Worked out here, never printed by a run.
    public static let workingMemoryMetric = "peak_above_baseline_mib"

    /// Whether `key` is a figure where less is better and which two libraries' runs can be
    /// set side by side: times (`_ms`), bytes (any key with a `bytes` word: `snapshot_bytes`,
    /// `bytes_exchanged`, `delta_bytes_applied`) and peak memory. Counts, flags and the
    /// baseline memory are not.
    public static func isCompared(_ key: String) -> Bool {
        key.hasSuffix("_ms") || key.split(separator: "_").contains("bytes") || key == "peak_rss_mib"
    }

    /// Why `line` cannot be compared at all, or nil when it can: a result that was wrong
    /// (text, loaded snapshot, convergence, an expected count) or a workload not available.
    public static func unusable(_ line: Fields) -> String? {
        for check in ["matches_end_content", "loaded_matches", "converged"] where line[check] == .bool(false) {
            return "\(check) is false"
        }
        if line["unexpected"] != nil { return "unexpected figures \(FigureLine.render(line["unexpected"]?.object ?? [:]))" }
        if let reason = line["not_available"]?.object?["workload"] { return "not available: \(reason.string ?? "")" }
        return nil
    }

    /// The figure `metric` of `line`, unless the line names it in `not_available`.
    public static func figure(_ metric: String, in line: Fields) -> Double? {
        if line["not_available"]?.object?[metric] != nil { return nil }
        if metric == workingMemoryMetric {
            guard let peak = figure("peak_rss_mib", in: line), let baseline = line["baseline_rss_mib"]?.number else { return nil }
            return Repeats.round2(max(peak - baseline, 0))
        }
        return line[metric]?.number
    }

    /// One row per (workload, trace, metric) where `ours` has a figure and at least one
    /// usable peer line of the same workload and trace has a positive one; the best peer is the
    /// one with the lowest figure (the first given, on a tie). Rows keep the order of our lines;
    /// within a line, metrics come in the order of `reports[workload]` (the workload's
    /// `reports`), then any others by name, then the memory.
    public static func rows(ours: [Fields], peers: [Fields], reports: [String: [String]] = [:]) -> [ComparisonRow] {
        var rows: [ComparisonRow] = []
        for line in ours where unusable(line) == nil {
            guard let workload = line["workload"]?.string else { continue }
            let trace = line["trace"]?.string
            let matching = peers.filter {
                $0["workload"]?.string == workload && $0["trace"]?.string == trace && unusable($0) == nil
            }
            let order = reports[workload] ?? []
            let memory = ["peak_rss_mib", workingMemoryMetric]
            let metrics = line.keys.filter { isCompared($0) && !memory.contains($0) }.sorted {
                (order.firstIndex(of: $0) ?? order.count, $0) < (order.firstIndex(of: $1) ?? order.count, $1)
            } + memory
            for metric in metrics {
                guard let mine = figure(metric, in: line) else { continue }
                let figures: [(library: String, value: Double)] = matching.compactMap { peer in
                    guard let library = peer["library"]?.string, let value = figure(metric, in: peer), value > 0 else { return nil }
                    return (library, value)
                }
                guard let best = figures.min(by: { $0.value < $1.value }) else { continue }
                rows.append(ComparisonRow(workload: workload, trace: trace, metric: metric, ours: mine, peers: figures,
                                          bestPeer: best.library, best: best.value,
                                          ratio: significant(mine / best.value, digits: 3)))
            }
        }
        return rows
    }

    /// `value` rounded to `digits` significant digits (0 stays 0).
    public static func significant(_ value: Double, digits: Int) -> Double {
        guard value != 0, value.isFinite else { return value }
        let scale = pow10(digits - 1 - Int((abs(value)).log10Floor))
        return (value * scale).rounded() / scale
    }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<abs(exponent) { result *= 10 }
        return exponent < 0 ? 1 / result : result
    }
}

private extension Double {
    /// ⌊log₁₀ self⌋ for a positive finite value, without Foundation.
    var log10Floor: Int {
        var exponent = 0
        var value = self
        while value >= 10 { value /= 10; exponent += 1 }
        while value < 1 { value *= 10; exponent -= 1 }
        return exponent
    }
}
