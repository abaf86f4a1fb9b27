import BenchCompare
import Foundation
import SyncProtocol

/// This engine's side of one comparison workload, run in a process of its own (the hidden
/// `compare-one` suite) so that its peak memory is that workload's alone. Prints one line
/// per trace (or one for the workload) in `workloads.json`'s output format.
enum CompareOne {
    static let library = "dealsync"

    /// Runs `name` `repetitions` times; the lines hold the medians. Returns the exit status:
    /// 0, or 1 when a result was wrong or a figure of the agreed line is missing.
    ///
    /// - Parameter dataFolder: where the trace files are, when not where `workloads.json`
    ///   says (its own folder's `data/`).
    static func run(definitions: WorkloadDefinitions, workload name: String, repetitions: Int, dataFolder: String?) throws -> Int32 {
        let spec = try definitions.workload(name)
        var lines: [Fields] = []
        switch definitions.kind(of: name) {
        case "trace":
            let workload = try CompareTrace(spec: spec)
            for trace in traceNames(spec) {
                let loaded = try EditingTrace.load(path: try tracePath(trace, definitions, dataFolder))
                let baseline = residentMiB()
                let runs = try (0..<repetitions).map { _ in try workload.run(loaded, name: trace) }
                lines.append(Repeats.combine(runs).merging(["baseline_rss_mib": .double(baseline)]) { $1 })
            }
        case "concurrent":
            let workload = try CompareConcurrent(spec: spec)
            for trace in traceNames(spec) {
                let loaded = try ConcurrentEditingTrace.load(path: try tracePath(trace, definitions, dataFolder))
                let plan = try ConcurrentPlan(agentCount: loaded.agents, agents: loaded.transactions.map(\.agent),
                                              parents: loaded.transactions.map(\.parents))
                let baseline = residentMiB()
                let runs = try (0..<repetitions).map { _ in try workload.run(loaded, plan: plan, name: trace) }
                lines.append(Repeats.combine(runs).merging(["baseline_rss_mib": .double(baseline)]) { $1 })
            }
        case "dealcards", "incremental":
            let incremental = definitions.kind(of: name) == "incremental"
            let workload = try CompareDealCards(definition: try definitions.workload("dealcards"))
            let baseline = residentMiB()
            let runs = try (0..<repetitions).map { _ in incremental ? try workload.runIncremental() : try workload.run().fields }
            lines.append(Repeats.combine(runs).merging(["baseline_rss_mib": .double(baseline)]) { $1 })
        default:
            lines.append(["not_available": .object(["workload": "no runner for this workload in sync-bench"])])
        }
        let peak = peakResidentMiBByRusage()
        var ok = true
        for var fields in lines {
            fields.merge([
                "bench": "compare", "workload": .string(name), "library": .string(library),
                "library_version": .string(DealSyncVersion.string), "repeat": .int(repetitions), "peak_rss_mib": .double(peak),
            ]) { $1 }
            for (key, value) in fields { if case .double(let number) = value { fields[key] = .double(round2(number)) } }
            let wrong = WorkloadDefinitions.unexpected(spec, fields)
            if !wrong.isEmpty { fields["unexpected"] = .object(wrong) }
            let missing = WorkloadDefinitions.missingReports(spec, fields)
            if !missing.isEmpty {
                FileHandle.standardError.write(Data("sync-bench compare-one: \(name) did not report \(missing.joined(separator: ", "))\n".utf8))
            }
            ok = ok && missing.isEmpty && Comparison.unusable(fields) == nil
            print(FigureLine.render(fields))
        }
        return ok ? 0 : 1
    }

    private static func traceNames(_ spec: Fields) -> [String] {
        guard case .array(let names)? = spec["traces"] else { return [] }
        return names.compactMap(\.string)
    }

    /// The file of trace `name`: in `dataFolder` when given, else where the definitions say.
    private static func tracePath(_ name: String, _ definitions: WorkloadDefinitions, _ dataFolder: String?) throws -> String {
        guard let file = definitions.traceFile(name) else { throw BenchError("no trace '\(name)' in the workload definitions") }
        if let dataFolder { return dataFolder + "/" + (file as NSString).lastPathComponent }
        return definitions.folder + "/" + file
    }
}

/// The process's peak resident set in MiB from `getrusage` (`ru_maxrss`, KiB on Linux), as
/// the peers' harness reads its own.
func peakResidentMiBByRusage() -> Double {
    var usage = rusage()
    guard getrusage(Int32(RUSAGE_SELF.rawValue), &usage) == 0 else { return -1 }
    return (Double(usage.ru_maxrss) / 1024 * 10).rounded() / 10
}
