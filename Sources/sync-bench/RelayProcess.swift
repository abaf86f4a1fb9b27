import Foundation

/// The relay as a `sync-server serve` child process on a loopback port, for figures that
/// must be the relay's alone: its memory (/proc/PID/status) with every load generator and
/// device in this process instead.
///
/// `sync-server` is looked for beside this executable: build both
/// (`swift build -c release --product sync-bench`, `--product sync-server`).
final class RelayProcess: Sendable {
    private let child: ChildProcess
    /// The relay's base URL, `http://127.0.0.1:PORT`.
    let url: String

    /// Starts a relay on `dataDirectory` and waits until it prints the URL it listens on.
    init(dataDirectory: String) async throws {
        let bench = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let executable = URL(fileURLWithPath: bench).deletingLastPathComponent().appendingPathComponent("sync-server").path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw BenchError("no sync-server beside sync-bench (\(executable)); build it: swift build -c release --product sync-server")
        }
        child = try ChildProcess(executable: executable, arguments: ["serve", "--data", dataDirectory, "--port", "0"],
                                 discardingStandardError: true)
        guard let line = await child.readLine(), line.hasPrefix("http://") else {
            _ = await child.terminateAndWait()
            throw BenchError("sync-server serve printed no URL; run it by hand on \(dataDirectory) to see why")
        }
        url = line
    }

    /// The relay process's memory now.
    var memory: ProcessMemory { ProcessMemory(pid: child.pid) }

    /// Stops the relay (SIGTERM: it finishes in-flight requests and closes its store) and
    /// waits for it to exit; returns its exit status.
    func stop() async -> Int32 {
        await child.terminateAndWait()
    }
}

/// One process's memory from /proc/PID/status, in MiB.
struct ProcessMemory {
    /// Resident set now (VmRSS): anonymous memory, file pages mapped (SQLite's mmap), shared.
    var resident: Double
    /// The resident set's peak since the process started (VmHWM).
    var peak: Double
    /// Of `resident`, anonymous memory (RssAnon): the heap, what the process itself holds.
    var anonymous: Double
    /// Of `resident`, file pages mapped in (RssFile): the binary, libraries, a mmapped store.
    var file: Double

    init(pid: Int32) {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func mebibytes(_ name: String) -> Double {
            for line in status.split(separator: "\n") where line.hasPrefix(name) {
                let kib = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? -1
                return round2(kib / 1_024)
            }
            return -1
        }
        resident = mebibytes("VmRSS:")
        peak = mebibytes("VmHWM:")
        anonymous = mebibytes("RssAnon:")
        file = mebibytes("RssFile:")
    }

    /// The four figures as report fields, each key prefixed with `stage`.
    func fields(_ stage: String) -> [String: Any] {
        ["\(stage)_rss_mib": resident, "\(stage)_peak_rss_mib": peak, "\(stage)_rss_anon_mib": anonymous, "\(stage)_rss_file_mib": file]
    }
}
