import DealCardKit
import RelayTestSupport

/// Syncs `device` until `condition` holds on its card of `deal`, for up to `seconds`: for a
/// chain of relays, where a change reaches a device only after the relays' own loops ran.
/// A failing sync (a relay restarting) is tried again; the answer is whether it ever held.
func eventually(_ device: TestDevice, _ deal: DealID, seconds: Int = 20, _ condition: (DealCard) -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        _ = try? await device.sync()
        if let card = try? await device.card(deal), condition(card) { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return false
}
