/// Combining the repetitions of one workload into its line, as the peers' `run.py` does.
public enum Repeats {
    /// The first run's fields, with every `_ms` figure replaced by the median of the runs
    /// (rounded to two decimals); any other figure that differs between runs is named in
    /// `varied_between_repeats`.
    public static func combine(_ runs: [Fields]) -> Fields {
        guard var out = runs.first else { return [:] }
        var varied: [String] = []
        for (key, value) in out {
            let values = runs.map { $0[key] }
            if key.hasSuffix("_ms") {
                out[key] = .double(round2(median(values.compactMap { $0?.number })))
            } else if values.contains(where: { $0 != value }) {
                varied.append(key)
            }
        }
        if !varied.isEmpty { out["varied_between_repeats"] = .array(varied.sorted().map { .string($0) }) }
        return out
    }

    /// The median of `values`: the middle one, or the mean of the two middle ones (0 when empty).
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Rounds to two decimals, as every figure is printed.
    public static func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
