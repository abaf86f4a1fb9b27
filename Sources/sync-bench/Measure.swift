import Foundation

/// Wall-clock milliseconds taken by `body`.
func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
}

/// The process's peak resident set (VmHWM) in MiB, from /proc/self/status.
func peakResidentMiB() -> Double {
    statusField("VmHWM:")
}

/// The process's current resident set (VmRSS) in MiB.
func residentMiB() -> Double {
    statusField("VmRSS:")
}

private func statusField(_ name: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix(name) {
        let digits = line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? -1
        return (digits / 1024 * 10).rounded() / 10
    }
    return -1
}

/// Prints one JSON object on a line, keys sorted, for scripts to read.
func report(_ fields: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Rounds to two decimals for printing.
func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }
