import Synchronization

/// Named counters, gauges and histograms, rendered in the Prometheus text exposition format
/// (version 0.0.4).
///
/// Asking for the same name and labels twice returns the same metric, so call sites can look
/// up a labelled series (`status="404"`) when they need it. Safe from any thread.
///
/// ```swift
/// let registry = MetricsRegistry()
/// registry.counter("relay_http_requests_total", help: "Requests answered.", labels: ["status": "200"]).increment()
/// print(registry.render())
/// // # HELP relay_http_requests_total Requests answered.
/// // # TYPE relay_http_requests_total counter
/// // relay_http_requests_total{status="200"} 1
/// ```
public final class MetricsRegistry: Sendable {
    /// The kind of a family, as in `# TYPE`.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    private enum Series: Sendable {
        case counter(Counter)
        case gauge(Gauge)
        case histogram(Histogram)

        var asCounter: Counter? { if case .counter(let value) = self { value } else { nil } }
        var asGauge: Gauge? { if case .gauge(let value) = self { value } else { nil } }
        var asHistogram: Histogram? { if case .histogram(let value) = self { value } else { nil } }
    }

    private struct Family: Sendable {
        var help: String
        var kind: Kind
        /// Keyed by the rendered label set (`a="1",b="2"`), which is also the sort order.
        var series: [String: Series] = [:]
    }

    private let families = Mutex<[String: Family]>([:])

    /// The `Content-Type` of ``render()``'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init() {}

    /// The counter `name` with `labels`, created on first use.
    /// - Precondition: `name` is a valid metric name not registered as another kind.
    public func counter(_ name: String, help: String, labels: [String: String] = [:]) -> Counter {
        series(name, help: help, kind: .counter, labels: labels) { .counter(Counter()) }.asCounter!
    }

    /// The gauge `name` with `labels`, created on first use.
    /// - Precondition: as ``counter(_:help:labels:)``.
    public func gauge(_ name: String, help: String, labels: [String: String] = [:]) -> Gauge {
        series(name, help: help, kind: .gauge, labels: labels) { .gauge(Gauge()) }.asGauge!
    }

    /// The histogram `name` with `labels` and bucket upper `bounds`, created on first use
    /// (a later call's bounds are ignored).
    /// - Precondition: as ``counter(_:help:labels:)``; `bounds` strictly ascending; no `le` label.
    public func histogram(
        _ name: String, help: String, bounds: [Double] = Histogram.latencySeconds, labels: [String: String] = [:]
    ) -> Histogram {
        precondition(labels["le"] == nil, "the label 'le' is reserved for histogram buckets")
        return series(name, help: help, kind: .histogram, labels: labels) { .histogram(Histogram(bounds: bounds)) }.asHistogram!
    }

    private func series(
        _ name: String, help: String, kind: Kind, labels: [String: String], make: () -> Series
    ) -> Series {
        precondition(Self.isValidName(name), "invalid metric name '\(name)'")
        precondition(labels.keys.allSatisfy { Self.isValidName($0) && !$0.contains(":") }, "invalid label name in \(labels)")
        let key = Self.renderLabels(labels)
        return families.withLock { families in
            var family = families[name] ?? Family(help: help, kind: kind)
            precondition(family.kind == kind, "metric '\(name)' is a \(family.kind.rawValue), not a \(kind.rawValue)")
            if let existing = family.series[key] { return existing }
            let created = make()
            family.series[key] = created
            families[name] = family
            return created
        }
    }

    /// Every family in the text exposition format, sorted by name, then by labels.
    public func render() -> String {
        let families = families.withLock { $0 }
        var output = ""
        for name in families.keys.sorted() {
            let family = families[name]!
            output += "# HELP \(name) \(Self.escapeHelp(family.help))\n"
            output += "# TYPE \(name) \(family.kind.rawValue)\n"
            for labels in family.series.keys.sorted() {
                switch family.series[labels]! {
                case .counter(let counter):
                    output += Self.sample(name, labels, counter.value)
                case .gauge(let gauge):
                    output += Self.sample(name, labels, gauge.value)
                case .histogram(let histogram):
                    let snapshot = histogram.snapshot
                    let prefix = labels.isEmpty ? "" : labels + ","
                    for (bound, count) in zip(snapshot.bounds, snapshot.cumulativeCounts) {
                        output += Self.sample(name + "_bucket", prefix + "le=\"\(Self.format(bound))\"", Double(count))
                    }
                    output += Self.sample(name + "_bucket", prefix + "le=\"+Inf\"", Double(snapshot.count))
                    output += Self.sample(name + "_sum", labels, snapshot.sum)
                    output += Self.sample(name + "_count", labels, Double(snapshot.count))
                }
            }
        }
        return output
    }

    // MARK: Text format

    private static func sample(_ name: String, _ labels: String, _ value: Double) -> String {
        labels.isEmpty ? "\(name) \(format(value))\n" : "\(name){\(labels)} \(format(value))\n"
    }

    /// `a="1",b="x\"y"`: sorted by name, values escaped.
    static func renderLabels(_ labels: [String: String]) -> String {
        labels.keys.sorted().map { "\($0)=\"\(escapeLabelValue(labels[$0]!))\"" }.joined(separator: ",")
    }

    /// Integers without a fraction, `+Inf`/`-Inf`/`NaN` as the format spells them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func escapeHelp(_ help: String) -> String {
        help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x3A
        }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
