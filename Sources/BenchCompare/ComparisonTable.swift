/// The summary of `sync-bench compare` for a person: one row per compared figure, every
/// peer's figure beside ours, and ours as a ratio to the best peer's.
public enum ComparisonTable {
    /// The table as text, columns aligned; `peers` names the peer columns, in order.
    /// Below 1× we need less than the best peer; above, more.
    public static func render(_ rows: [ComparisonRow], peers: [String]) -> String {
        var table: [[String]] = [["workload", "metric", "dealsync"] + peers + ["ours / best"]]
        for row in rows {
            var cells = [row.trace.map { "\(row.workload) (\($0))" } ?? row.workload, row.metric, quantity(row.ours, metric: row.metric)]
            for peer in peers {
                cells.append(row.peers.first { $0.library == peer }.map { quantity($0.value, metric: row.metric) } ?? "–")
            }
            cells.append(ratio(row.ratio) + " " + row.bestPeer)
            table.append(cells)
        }
        let widths = (0..<table[0].count).map { column in table.map { $0[column].count }.max() ?? 0 }
        return table.map { cells in
            cells.enumerated().map { column, cell in
                // Text columns to the left, figures to the right.
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// A figure with its unit, read from the metric's name: `1,034 ms`, `229,440 B`, `67.6 B`, `196.1 MiB`.
    public static func quantity(_ value: Double, metric: String) -> String {
        if metric.hasSuffix("_mib") { return decimal(value, places: 1) + " MiB" }
        if metric.hasSuffix("_ms") { return decimal(value, places: value >= 100 ? 0 : value >= 10 ? 1 : 2) + " ms" }
        if metric.split(separator: "_").contains("bytes") { return decimal(value, places: value.rounded() == value ? 0 : 1) + " B" }
        return decimal(value, places: 2)
    }

    /// A ratio as `0.33×`, `1.2×` or `12×`.
    public static func ratio(_ value: Double) -> String {
        decimal(value, places: value >= 10 ? 0 : value >= 1 ? 1 : value >= 0.1 ? 2 : 3) + "×"
    }

    /// `value` with `places` decimals and thousands separated by commas.
    static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        let fraction = Int(scaled - Double(whole) * scale)
        var digits = String(whole)
        var grouped = ""
        while digits.count > 3 {
            grouped = "," + digits.suffix(3) + grouped
            digits.removeLast(3)
        }
        grouped = digits + grouped
        if places > 0 {
            let text = String(fraction)
            grouped += "." + String(repeating: "0", count: places - text.count) + text
        }
        return (value < 0 && scaled != 0 ? "-" : "") + grouped
    }
}
