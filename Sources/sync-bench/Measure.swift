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

/// The process's current resident set in KiB (unrounded, for per-connection deltas).
func residentKiB() -> Double {
    statusKiB("VmRSS:")
}

private func statusKiB(_ name: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix(name) {
        return line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? -1
    }
    return -1
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
    print(jsonLine(fields))
}

/// `fields` as one line of JSON, keys sorted.
func jsonLine(_ fields: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Rounds to two decimals for printing.
func round2(_ value: Double) -> Double { (value * 100).rounded() / 100 }

/// Wall-clock milliseconds taken by an async `body`.
func milliseconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try await body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
}

/// Resets the peak resident set (VmHWM) to the current one, so a later
/// ``peakResidentMiB()`` covers only what follows (Linux 4.0+: `echo 5 > clear_refs`).
/// Returns false when the kernel refused.
@discardableResult
func resetPeakResident() -> Bool {
    guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
    defer { try? handle.close() }
    return (try? handle.write(contentsOf: Data("5".utf8))) != nil
}

/// Open sockets of this process (entries of /proc/self/fd that link to `socket:[…]`), or -1.
/// Only sockets: Foundation and Dispatch open other descriptors lazily (epoll, eventfd,
/// timerfd), which would blur a count of connections.
func openSocketCount() -> Int {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return -1 }
    var buffer = [CChar](repeating: 0, count: 64)
    return names.reduce(0) { count, name in
        let length = readlink("/proc/self/fd/" + name, &buffer, buffer.count)
        return count + (length >= 7 && buffer.prefix(7).elementsEqual("socket:".utf8.map { CChar(bitPattern: $0) }) ? 1 : 0)
    }
}

/// Total bytes of the files in `folder` whose names start with `prefix` (a SQLite database
/// with its `-wal` and `-shm`).
func bytesOnDisk(in folder: String, prefix: String) -> Int {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    return names.filter { $0.hasPrefix(prefix) }.reduce(0) { total, name in
        let size = (try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? NSNumber)?.intValue
        return total + (size ?? 0)
    }
}

/// Raises this process's soft `RLIMIT_NOFILE` to its hard limit; returns the soft limit.
@discardableResult
func raiseFileDescriptorLimit() -> Int {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0 else { return -1 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(resource, &limit)
        _ = getrlimit(resource, &limit)
    }
    return Int(clamping: limit.rlim_cur)
}

/// Median of `values` (0 when empty).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// The 99th (or any) percentile of ascending `sorted` (0 when empty).
func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.down)))]
}

/// `part / whole` rounded to two decimals; 0 when `whole` is 0.
func ratio(_ part: Double, _ whole: Double) -> Double { whole == 0 ? 0 : round2(part / whole) }
