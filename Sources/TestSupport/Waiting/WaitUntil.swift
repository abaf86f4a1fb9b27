/// Polls `condition` every 50 ms for up to `seconds`; true as soon as it holds, false when it
/// never did. Sleeps with `Task.sleep`, so no thread is held while waiting.
public func waitUntil(_ seconds: Double = 15, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
