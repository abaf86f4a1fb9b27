@testable import RelayClient
@testable import SyncProtocol
import Foundation
import RelayTestSupport
import Testing
import TestSupport

/// Devices syncing through a proxy that cuts connections at random byte offsets, delays
/// traffic and replays requests: every device still converges, with nothing lost or doubled.
/// Pinned seeds by default; `SYNC_CHAOS_SEEDS=N` runs seeds 1...N, `TEST_SEED=n` seed n alone.
@Suite("Sync through cut, delayed and duplicated connections", .serialized)
struct ChaosSyncTests {
    @Test(arguments: RepeatableRandom.seeds(pinned: [7, 21], countVariable: "SYNC_CHAOS_SEEDS"))
    func devicesConvergeThroughAHostileNetwork(seed: UInt64) async throws {
        try await run(seed: seed)
    }

    /// A relay that closes the connection before answering a single byte: the toolchain's
    /// URLSession traps the process on this (swift-corelibs-foundation issue 5285); the sync
    /// client must report a retryable error instead.
    @Test func anEmptyReplyIsARetryableErrorNotACrash() async throws {
        let harness = try SyncHarness()
        let proxy = try ChaosProxy(upstreamPort: harness.port, seed: 1,
                                   faults: .init(cutPercent: 100, cutWithin: 1, replayPercent: 0, maxDelayMilliseconds: 0))
        defer { proxy.stop() }
        let connection = RelayConnection(baseURL: URL(string: proxy.url)!, token: try harness.token("olga", .sales))
        do {
            let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
            Issue.record("a cut connection produced an answer")
        } catch {
            #expect(error.isTransient, "\(error)")
        }
        await harness.stop()
    }

    private func run(seed: UInt64) async throws {
        let harness = try SyncHarness()
        let proxy = try ChaosProxy(upstreamPort: harness.port, seed: seed)
        defer { proxy.stop() }
        let buyer = try harness.device("ivan", .buyer, channel: .kiosk, via: proxy.url)
        let sales = try harness.device("olga", .sales, channel: .pc, via: proxy.url)
        let finance = try harness.device("vera", .finance, channel: .tablet, via: proxy.url)
        let devices = [buyer, sales, finance]
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.session.syncRetrying(attempts: 60, maxDelay: 0.02)
        var posted = 0
        for round in 0..<6 {
            for (index, device) in devices.enumerated() {
                try await device.session.syncRetrying(attempts: 60, maxDelay: 0.02)
                try await device.store.post(deal, "message \(round)-\(index)")
                posted += 1
                if index == 1 { try await device.store.set(deal, "vehicle.price", .money(minorUnits: Int64(round + 1) * 100_000_00, currency: "RUB")) }
                if index == 2 { try await device.store.set(deal, "credit.termMonths", .integer(Int64(12 * (round + 1)))) }
            }
        }
        for _ in 0..<2 {
            for device in devices { try await device.session.syncRetrying(attempts: 60, maxDelay: 0.02) }
        }
        let cards = try await devices.asyncMap { try await $0.card(deal) }
        for card in cards.dropFirst() {
            #expect(card.values.filter { !$0.key.hasPrefix("staff.") } == cards[0].values, "seed \(seed)")
        }
        guard case .list(let messages)? = cards[0].values["conversation.messages"] else {
            Issue.record("seed \(seed): no messages")
            return
        }
        #expect(messages.count == posted, "seed \(seed): \(messages.count) messages for \(posted) posted (cuts \(proxy.cuts), replays \(proxy.replays))")
        #expect(Set(messages).count == posted, "seed \(seed): a message was doubled")
        #expect(cards[0].values["vehicle.price"] == .money(minorUnits: 600_000_00, currency: "RUB"))
        #expect(proxy.cuts > 0, "seed \(seed): the proxy never cut a connection, so the test proved nothing")
        for device in devices { #expect(try await device.store.outboxCount() == 0) }
        if ProcessInfo.processInfo.environment["SYNC_CHAOS_VERBOSE"] != nil {
            print("seed \(seed): \(proxy.connections) connections, \(proxy.cuts) cuts, \(proxy.replays) replays")
        }
        await harness.stop()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
