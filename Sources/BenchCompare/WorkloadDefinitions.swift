import Foundation

/// `Benchmarks/workloads.json`, read: every comparison workload, defined once for every
/// implementation.
public struct WorkloadDefinitions: Sendable {
    /// The whole file.
    public var root: Fields
    /// The workloads' names in the order the file lists them.
    public var names: [String]
    /// The folder the file is in; trace paths are relative to it.
    public var folder: String

    /// Reads the definitions at `path`.
    ///
    /// - Throws: ``WorkloadError`` when the file cannot be read, is not JSON, or has no
    ///   `workloads` object.
    public init(path: String) throws(WorkloadError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WorkloadError("cannot read the workload definitions at \(path) (run from the package's root, or pass --definitions)")
        }
        try self.init(data: data, folder: (path as NSString).deletingLastPathComponent)
    }

    /// Parses the definitions from `data`; `folder` is where trace paths start.
    public init(data: Data, folder: String) throws(WorkloadError) {
        guard let root = try? JSONDecoder().decode(Fields.self, from: data), let table = root["workloads"]?.object else {
            throw WorkloadError("the workload definitions are not a JSON object with a 'workloads' object")
        }
        // A JSON object has no order, but the file's order is the one people read the
        // workloads in, so it is taken from where each name first appears as a key.
        let text = String(decoding: data, as: UTF8.self)
        let start = text.range(of: "\"workloads\"")?.upperBound ?? text.startIndex
        func position(_ name: String) -> String.Index {
            text.range(of: "\"\(name)\"", range: start..<text.endIndex)?.lowerBound ?? text.endIndex
        }
        self.root = root
        self.names = table.keys.sorted { (position($0), $0) < (position($1), $1) }
        self.folder = folder
    }

    /// Workload `name`'s definition, `same_as` resolved (its own keys win over the base's).
    ///
    /// - Throws: ``WorkloadError`` naming the known workloads when there is no such one.
    public func workload(_ name: String) throws(WorkloadError) -> Fields {
        guard let table = root["workloads"]?.object, var spec = table[name]?.object else {
            throw WorkloadError("unknown workload '\(name)'; known: \(names.joined(separator: ", "))")
        }
        if let base = spec["same_as"]?.string, var merged = table[base]?.object {
            spec["same_as"] = nil
            merged.merge(spec) { _, own in own }
            spec = merged
        }
        return spec
    }

    /// The name of the runner a workload uses: its `same_as`, or itself.
    public func kind(of name: String) -> String {
        root["workloads"]?.object?[name]?.object?["same_as"]?.string ?? name
    }

    /// Each workload's `reports`: the figures its lines carry, in reading order.
    public var reports: [String: [String]] {
        var reports: [String: [String]] = [:]
        for name in names {
            if case .array(let keys)? = try? workload(name)["reports"] { reports[name] = keys.compactMap(\.string) }
        }
        return reports
    }

    /// The trace file of trace `name`, relative to ``folder``.
    public func traceFile(_ name: String) -> String? {
        root["traces"]?.object?[name]?.object?["file"]?.string
    }

    /// The figures of `fields` that differ from the workload's `expect` (those no library can
    /// change), each as `[measured, expected]`; the entry is the line's trace, or `all`.
    public static func unexpected(_ spec: Fields, _ fields: Fields) -> Fields {
        let entry = fields["trace"]?.string ?? "all"
        guard let expected = spec["expect"]?.object?[entry]?.object else { return [:] }
        var wrong: Fields = [:]
        for (key, value) in expected where fields[key] != nil && fields[key]?.number != value.number {
            wrong[key] = .array([fields[key] ?? .null, value])
        }
        return wrong
    }

    /// The figures the workload's `reports` lists that `fields` neither has nor names in
    /// `not_available`: a run that leaves one out is not printing the agreed line.
    public static func missingReports(_ spec: Fields, _ fields: Fields) -> [String] {
        guard case .array(let reports)? = spec["reports"] else { return [] }
        let skipped = fields["not_available"]?.object ?? [:]
        return reports.compactMap(\.string).filter { fields[$0] == nil && skipped[$0] == nil }
    }
}
