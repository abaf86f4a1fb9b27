#if PostgreSQL
import DealCardKit
import Foundation
import RelayTestSupport
import SyncCore
import SyncServer
import Testing
import TestSupport

/// Two relay nodes serving one PostgreSQL database, each a real relay on its own loopback
/// port, with real devices on each: they converge, a change pushed to one node reaches a
/// device waiting on the other at once, and a node's memory never refuses a change built on
/// what another node accepted.
@Suite("Two relay nodes over one PostgreSQL database", .postgresCluster, .serialized)
struct PostgresMultiNodeTests {
    private static func twoNodes() async throws -> (SyncHarness, SyncHarness) {
        let database = try await PostgresCluster.running().freshDatabase()
        return (try SyncHarness(postgres: database), try SyncHarness(postgres: database))
    }

    /// Random edits by four devices, two on each node, synced in a random order.
    @Test(arguments: RepeatableRandom.seeds(pinned: [3, 11], countVariable: "POSTGRES_NODE_SEEDS"))
    func devicesOnBothNodesConverge(seed: UInt64) async throws {
        let (node1, node2) = try await Self.twoNodes()
        let devices = [
            try node1.device("ivan", .buyer, channel: .kiosk), try node1.device("olga", .sales, channel: .pc),
            try node2.device("vera", .finance, channel: .tablet), try node2.device("petr", .sales, channel: .phone),
        ]
        let deal = try await devices[0].store.createDeal(values: ["vehicle.model": .text("Camry")])
        for device in devices { try await device.sync() }
        var random = RepeatableRandom(seed: seed)
        var posted = 0
        for step in 0..<40 {
            let index = random.int(0..<devices.count)
            let device = devices[index]
            switch random.int(0..<4) {
            case 0:
                try await device.store.post(deal, "message \(step) from \(index)")
                posted += 1
            case 1 where index == 1 || index == 3:
                try await device.store.set(deal, "vehicle.price", .money(minorUnits: Int64(step + 1) * 100_000_00, currency: "RUB"))
            case 1 where index == 2:
                try await device.store.set(deal, "credit.termMonths", .integer(Int64(step + 1)))
            default:
                try await device.sync()
            }
        }
        for _ in 0..<2 {
            for device in devices { try await device.sync() }
        }
        let cards = try await devices.asyncMap { try await $0.card(deal) }
        for card in cards.dropFirst() {
            #expect(card.values.filter { !$0.key.hasPrefix("staff.") } == cards[0].values.filter { !$0.key.hasPrefix("staff.") },
                    "seed \(seed)")
        }
        if case .list(let messages)? = cards[0].values["conversation.messages"] {
            #expect(messages.count == posted, "seed \(seed)")
        } else {
            #expect(posted == 0, "seed \(seed): no messages, \(posted) posted")
        }
        for device in devices {
            #expect(try await device.store.outboxCount() == 0, "seed \(seed)")
            #expect(try await device.store.quarantined().isEmpty, "seed \(seed): a change was refused")
        }
        await node1.stop()
        await node2.stop()
    }

    /// Node 1 holds the deal in memory; a change accepted by node 2 is pulled from node 1 by
    /// a device that then builds on it and pushes to node 1: accepted, nothing refused.
    @Test func aChangeBuiltOnAnotherNodesChangeIsAccepted() async throws {
        let (node1, node2) = try await Self.twoNodes()
        let olga = try node1.device("olga", .sales, channel: .pc)
        let vera = try node2.device("vera", .finance, channel: .tablet)
        let deal = try await olga.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await olga.store.set(deal, "vehicle.price", .money(minorUnits: 2_000_000_00, currency: "RUB"))
        try await olga.sync()
        for round in 1...5 {
            try await vera.sync()
            try await vera.store.set(deal, "credit.termMonths", .integer(Int64(12 * round)))
            try await vera.sync()
            try await olga.sync()
            try await olga.store.set(deal, "vehicle.price", .money(minorUnits: Int64(2_000_000_00 + round * 1_000_00), currency: "RUB"))
            try await olga.sync()
        }
        try await vera.sync()
        #expect(try await olga.store.quarantined().isEmpty)
        #expect(try await vera.store.quarantined().isEmpty)
        #expect(try await olga.store.outboxCount() == 0)
        let card = try await vera.card(deal)
        #expect(card.values["vehicle.price"] == .money(minorUnits: 2_005_000_00, currency: "RUB"))
        #expect(card.values["credit.termMonths"] == .integer(60))
        #expect(try await olga.card(deal).values["credit.termMonths"] == .integer(60))
        await node1.stop()
        await node2.stop()
    }

    /// A device long-polling node 2 gets a change pushed to node 1 within a few seconds (the
    /// database's notification, not the end of its wait).
    @Test func aLongPollOnOneNodeGetsAChangePushedToTheOther() async throws {
        let (node1, node2) = try await Self.twoNodes()
        let olga = try node1.device("olga", .sales, channel: .pc)
        let vera = try node2.device("vera", .finance, channel: .tablet)
        let deal = try await olga.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await olga.sync()
        try await vera.sync()
        let waiting = Task { try await vera.session.sync(wait: 25) }
        try await Task.sleep(for: .milliseconds(500))
        let pushed = ContinuousClock.now
        try await olga.store.set(deal, "vehicle.price", .money(minorUnits: 1_500_000_00, currency: "RUB"))
        try await olga.sync()
        _ = try await waiting.value
        let took = ContinuousClock.now - pushed
        #expect(took < .seconds(10), "the change took \(took) to reach the other node's long-poll")
        #expect(try await vera.card(deal).values["vehicle.price"] == .money(minorUnits: 1_500_000_00, currency: "RUB"))
        await node1.stop()
        await node2.stop()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
#endif
