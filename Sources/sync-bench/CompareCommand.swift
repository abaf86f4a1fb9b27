import BenchCompare
import Foundation

/// `sync-bench compare`: every comparison workload on this engine and on the peers (Loro and
/// Yrs through `Benchmarks/peers/run.py`), one process per (library, workload), one after the
/// other, so that no two share the CPU and each peak memory is one workload's.
///
/// Standard output gets every line the runs printed, as they come, then one line per
/// compared figure (`workload`, `metric`, `ours`, `best_peer`, `best`, `ratio`, keys sorted).
/// Standard error gets progress and, at the end, the same comparison as a table.
struct CompareCommand {
    static let knownPeers = ["loro", "yrs"]
    static let setupHint = "set the peers up once with: sh Benchmarks/peers/setup.sh"

    var repetitions: Int
    var workloads: [String]
    var peers: [String]
    var python: String
    var dataFolder: String?
    var definitions: WorkloadDefinitions
    /// The peers' harness, beside the definitions.
    var runner: String { definitions.folder + "/peers/run.py" }

    /// Runs everything and prints it; returns 0, or 1 when our side failed (a run that
    /// exited non-zero or printed no line). A peer that cannot run is reported and skipped.
    func run() async throws -> Int32 {
        var ours: [Fields] = []
        var theirs: [Fields] = []
        var failed: [String] = []
        let peers = usablePeers()
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        for workload in workloads {
            var arguments = ["compare-one", "--workload", workload, "--repeat", String(repetitions)]
            if let dataFolder { arguments += ["--data", dataFolder] }
            note("\(CompareOne.library) \(workload) …")
            let (status, lines) = try await runChild(executable, arguments)
            ours += lines
            if status != 0 || lines.isEmpty { failed.append("\(workload) (exit \(status))") }
            for peer in peers {
                note("\(peer) \(workload) …")
                let (status, lines) = try await runChild(python, [runner, "--library", peer, "--workload", workload, "--repeat", String(repetitions)])
                theirs += lines
                if status != 0 {
                    note("\(peer) \(workload) exited \(status)" + (lines.isEmpty ? " without a line (is the venv set up? \(Self.setupHint))" : "; its wrong figures are not compared"))
                }
            }
        }
        let rows = Comparison.rows(ours: ours, peers: theirs, reports: definitions.reports)
        for row in rows { output(FigureLine.render(row.fields)) }
        let peerNames = self.peers.filter { name in theirs.contains { $0["library"]?.string == name } }
        if !rows.isEmpty {
            note("\nours as a ratio to the best peer (below 1×: we need less), medians of \(repetitions):\n"
                 + ComparisonTable.render(rows, peers: peerNames))
        }
        if !failed.isEmpty { note("sync-bench compare: our side failed: \(failed.joined(separator: ", "))") }
        return failed.isEmpty ? 0 : 1
    }

    /// The peers asked for that can run: none when Python or the harness is missing, with a
    /// note saying how to set them up.
    func usablePeers() -> [String] {
        guard !peers.isEmpty else { return [] }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            note("peers skipped: no Python at \(python); \(Self.setupHint) (or pass --python PATH). Our figures follow.")
            return []
        }
        guard FileManager.default.fileExists(atPath: runner) else {
            note("peers skipped: no harness at \(runner). Our figures follow.")
            return []
        }
        return peers
    }

    /// Runs one child to its end, printing each line of its standard output as it comes;
    /// returns its exit status and the lines that were figure lines.
    private func runChild(_ executable: String, _ arguments: [String]) async throws -> (Int32, [Fields]) {
        let child = try ChildProcess(executable: executable, arguments: arguments)
        var lines: [Fields] = []
        while let line = await child.readLine() {
            output(line)
            if let fields = FigureLine.parse(line) { lines.append(fields) }
        }
        return (await child.closeInputAndWait(), lines)
    }

    /// Writes a line to standard output at once (unbuffered, so lines come as runs end).
    private func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    private func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
