import DealCardKit

/// The counters a set of deals adds up to: everything of an ``AnalyticsReport`` but its two
/// lists (the most switching deals, the idle ones) and `idle.count`, which depend on a
/// threshold or an order.
///
/// Kept per dealership in the store (table `deal_analytics_totals`) and moved with every
/// analytics row written, in the same transaction (``SQLiteRelayStorage``): a row's old
/// facts are taken out, its new ones put in. So a dealership's report reads a few dozen
/// counters, whatever its number of deals.
///
/// Counters by name, so that a schema's stages and states need no table of their own:
/// `deals`; `state` (unset) and `state:<value>`; `stage:<stage>:<status>`;
/// `channel:<last channel>`; `completeness:<bucket>`; `switches`; and, for the mean
/// completeness, `required:<n>` (deals with `n` required fields counted) with
/// `filled:<n>` (their filled ones, summed).
public struct AnalyticsTotals: Sendable, Hashable {
    /// The counters by name; absent ones are 0.
    public private(set) var counters: [String: Int64] = [:]

    public init(counters: [String: Int64] = [:]) {
        self.counters = counters.filter { $0.value != 0 }
    }

    /// The bucket names of `completeness.buckets`, by quarter.
    static let bucketNames = ["0-24", "25-49", "50-74", "75-99", "100"]

    /// What one deal adds.
    public init(_ facts: DealFacts) {
        var counters: [String: Int64] = ["deals": 1]
        counters[facts.state.map { "state:" + $0 } ?? "state", default: 0] += 1
        for (stage, status) in facts.stages { counters["stage:\(stage.rawValue):\(status.rawValue)", default: 0] += 1 }
        if let last = facts.lastChannel { counters["channel:" + last.rawValue, default: 0] += 1 }
        let percent = facts.completeness.percent
        counters["completeness:" + Self.bucketNames[percent >= 100 ? 4 : min(percent / 25, 3)], default: 0] += 1
        counters["switches", default: 0] += Int64(facts.switches)
        counters["required:\(facts.completeness.required)", default: 0] += 1
        counters["filled:\(facts.completeness.required)", default: 0] += Int64(facts.completeness.filled)
        self.init(counters: counters)
    }

    /// Adds `other` (`sign` -1: takes it out).
    public mutating func add(_ other: AnalyticsTotals, sign: Int64 = 1) {
        for (name, value) in other.counters {
            let sum = counters[name, default: 0] + sign * value
            counters[name] = sum == 0 ? nil : sum
        }
    }

    public subscript(_ name: String) -> Int64 { counters[name] ?? 0 }

    /// The sum over the deals of their filled share of required fields (1 for a deal with
    /// none required), from the per-count sums: Σ filled(n) / n over n ascending. Exact up to
    /// one rounding per distinct count, and the same however the deals were added.
    var completenessFractionSum: Double {
        var counts: [(required: Int, filled: Int64, deals: Int64)] = []
        for (name, deals) in counters where name.hasPrefix("required:") {
            guard let required = Int(name.dropFirst("required:".count)) else { continue }
            counts.append((required, self["filled:\(required)"], deals))
        }
        return counts.sorted { $0.required < $1.required }.reduce(0.0) { sum, count in
            sum + (count.required == 0 ? Double(count.deals) : Double(count.filled) / Double(count.required))
        }
    }
}
