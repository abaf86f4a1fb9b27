import Foundation
import HTTP1

/// The relay's cost of holding `count` idle TCP connections, opened by a child process
/// (`sync-bench connect-idle`): whether `/healthz` is still answered and how fast compared
/// with the same request before they were opened, and the relay's RSS per connection.
///
/// The relay runs in this process, so /proc/self is the relay's. RSS is user space only:
/// the kernel's socket memory is not in it. The relay closes a connection idle for 60 s
/// (`HTTPServerConfiguration.idleTimeout`), so everything is measured well within that.
func benchIdleConnections(relayURL: String, port: Int, count: Int) async throws {
    let limit = raiseFileDescriptorLimit()
    guard limit >= count + 256 else {
        throw BenchError("--connections \(count) needs \(count + 256) file descriptors; RLIMIT_NOFILE allows \(limit). Raise the hard limit (ulimit -Hn) or ask for fewer.")
    }
    let healthz = URL(string: relayURL + "/healthz")!
    let baseline = try await healthzTimes(healthz, count: 50)
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let child = try ChildProcess(executable: executable, arguments: ["connect-idle", "--port", String(port), "--count", String(count)])
    // Counted once the child runs: starting a process opens a socket of its own here.
    guard await child.readLine() == "started" else {
        _ = await child.closeInputAndWait()
        throw BenchError("the connect-idle child did not start")
    }
    let socketsBefore = openSocketCount()
    let rssBefore = residentKiB()
    let started = DispatchTime.now().uptimeNanoseconds
    child.write("go\n")
    guard let line = await child.readLine(),
          let answer = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
          let connected = answer["connected"] as? Int else {
        _ = await child.closeInputAndWait()
        throw BenchError("the connect-idle child printed no result")
    }
    let connectMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
    // The child's connects return once the kernel queued them; wait until the relay accepted them all.
    let accepted = await waitForDescriptors(atLeast: socketsBefore + connected, seconds: 30)
    let acceptedMs = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
    try await Task.sleep(for: .milliseconds(500))
    let rssHeld = residentKiB()
    let loaded = try await healthzTimes(healthz, count: 50)
    let stillHeld = openSocketCount() - socketsBefore

    let releaseStarted = DispatchTime.now().uptimeNanoseconds
    let childStatus = await child.closeInputAndWait()
    let released = await waitForDescriptors(atMost: socketsBefore, seconds: 30)
    let releaseMs = Double(DispatchTime.now().uptimeNanoseconds - releaseStarted) / 1_000_000

    var fields: [String: Any] = [
        "bench": "relay.idle_connections", "requested": count, "connected": connected, "accepted_by_relay": accepted,
        "still_held_after_healthz": stillHeld, "connect_ms": round2(connectMs), "all_accepted_ms": round2(acceptedMs),
        "rss_before_mib": round2(rssBefore / 1024), "rss_held_mib": round2(rssHeld / 1024),
        "rss_delta_per_connection_kib": round2((rssHeld - rssBefore) / Double(max(connected, 1))),
        "healthz_baseline_median_ms": round2(median(baseline)), "healthz_baseline_max_ms": round2(baseline.max() ?? 0),
        "healthz_held_median_ms": round2(median(loaded)), "healthz_held_max_ms": round2(loaded.max() ?? 0),
        "healthz_held_vs_baseline": ratio(median(loaded), median(baseline)), "healthz_requests": loaded.count,
        "release_ms": round2(releaseMs), "released": released, "rss_after_release_mib": round2(residentKiB() / 1024),
        "child_exit_status": Int(childStatus), "fd_limit": limit,
        "note": "RSS is the relay process's user space; kernel socket memory is not counted",
    ]
    if let error = answer["error"] { fields["child_error"] = error }
    report(fields)
}

/// Milliseconds of `count` sequential `GET /healthz` requests, each on a new connection;
/// throws unless every one is answered 200.
private func healthzTimes(_ url: URL, count: Int) async throws -> [Double] {
    let client = SocketHTTPClient()
    var times: [Double] = []
    for _ in 0..<count {
        var status = 0
        times.append(try await milliseconds {
            status = try await client.send(method: "GET", url: url, headers: [:], body: [], timeout: 10).status
        })
        guard status == 200 else { throw BenchError("GET /healthz answered \(status)") }
    }
    return times
}

/// Polls this process's socket count every 50 ms until it reaches `atLeast` or drops to
/// `atMost`, at most `seconds`; returns whether it did.
private func waitForDescriptors(atLeast: Int = .min, atMost: Int = .max, seconds: Double) async -> Bool {
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
    while DispatchTime.now().uptimeNanoseconds < deadline {
        let open = openSocketCount()
        if open >= atLeast && open <= atMost { return true }
        try? await Task.sleep(for: .milliseconds(50))
    }
    return false
}
