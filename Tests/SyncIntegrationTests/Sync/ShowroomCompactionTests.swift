@testable import RelayClient
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import DealCardKit
import Foundation
import RelayTestSupport
import Testing

/// A showroom relay whose upstream compacted its history (protocol-spec/sync.md, "A showroom
/// relay and an upstream that compacted"): told `history_compacted`, it syncs again from 0
/// and takes the compacted documents it is behind as its own bases; its devices carry on,
/// and an edit accepted in the showroom while the upstream was away reaches head office.
@Suite("A showroom relay and an upstream that compacted", .serialized)
struct ShowroomCompactionTests {
    private static func rub(_ amount: Int64) -> FieldValue { .money(minorUnits: amount * 100, currency: "RUB") }

    private static func compactAll(_ harness: SyncHarness) async throws -> CompactionReport {
        try await harness.server.relay.compact(receivedBefore: Date().addingTimeInterval(60))
    }

    private static func chain(log: RelayLog = .discarding) throws -> (group: SyncHarness, showroom: SyncHarness) {
        let group = try SyncHarness()
        let token = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let showroom = try SyncHarness(upstream: UpstreamConfiguration(url: URL(string: group.url)!, token: token, pollSeconds: 1), log: log)
        return (group, showroom)
    }

    @Test func aShowroomBehindTheHorizonTakesTheCompactedDealAndItsOfflineEditStillReachesHeadOffice() async throws {
        let recorder = RelayLogRecorder()
        let (group, showroom) = try Self.chain(log: recorder.log)
        let showroomPC = try showroom.device("olga", .sales, channel: .pc)
        let headOffice = try group.device("boris", .sales, channel: .pc)
        let deal = try await showroomPC.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await showroomPC.sync()
        #expect(try await eventually(headOffice, deal) { $0.values["vehicle.model"] == .text("Camry") })
        try await headOffice.store.set(deal, "vehicle.price", Self.rub(2_330_000))
        try await headOffice.sync()
        #expect(try await eventually(showroomPC, deal) { $0.values["vehicle.price"] == Self.rub(2_330_000) })

        // The group relay is unreachable; the showroom accepts an edit meanwhile.
        await group.stop()
        try await showroomPC.store.set(deal, "vehicle.color", .text("white"))
        let accepted = try await showroomPC.sync()
        #expect(accepted.accepted == 1, "\(accepted)")
        await showroom.stop()
        // Head office goes on, and the group relay compacts past what the showroom has.
        try await group.restartRelay()
        try await headOffice.store.set(deal, "vehicle.price", Self.rub(2_290_000))
        try await headOffice.store.set(deal, "vehicle.trim", .text("Prestige"))
        try await headOffice.sync()
        let report = try await Self.compactAll(group)
        #expect(report.documents >= 1 && report.skipped.isEmpty, "\(report)")

        // The showroom comes back: told its cursor is behind, it takes the compacted deal; its
        // own edit (made before the horizon) cannot go on top as it is, so its device, told to
        // sync again, re-makes it, and head office gets it.
        try await showroom.restartRelay()
        #expect(try await eventually(showroomPC, deal) {
            $0.values["vehicle.trim"] == .text("Prestige") && $0.values["vehicle.color"] == .text("white")
        }, "the showroom's device never got head office's edits with its own kept")
        #expect(try await eventually(headOffice, deal) { $0.values["vehicle.color"] == .text("white") },
                "head office never got the edit the showroom accepted while it was away")
        #expect(try await eventually(showroomPC, deal) { $0.values["vehicle.price"] == Self.rub(2_290_000) })
        let office = try await headOffice.card(deal)
        let pc = try await showroomPC.card(deal)
        #expect(office.values == pc.values, "\(office.values) \(pc.values)")
        #expect(try await showroomPC.store.quarantined().isEmpty)
        #expect(try await showroomPC.store.outboxCount() == 0)
        #expect(!recorder.lines("upstream_history_compacted").isEmpty)
        let adopted = recorder.lines("upstream_base_adopted")
        #expect(adopted.contains { $0.contains(#""entries_refused":1"#) }, "\(adopted)")
        // The showroom kept the edit it could not apply where an operator sees it; it never
        // pushed it for head office to refuse (it pulls first after history_compacted).
        let kept = try await showroom.server.relay.storedQuarantine()
        #expect(kept.contains { $0.entry.reason.hasPrefix("made on a state from before the upstream relay compacted") }, "\(kept.map(\.entry.reason))")
        let refusedAtHeadOffice = try await group.server.relay.storedQuarantine()
        #expect(refusedAtHeadOffice.isEmpty, "\(refusedAtHeadOffice.map(\.entry.reason))")
        await showroom.stop()
        await group.stop()
    }

    /// The showroom's exchanges driven by hand (no loops of its own): after
    /// `history_compacted`, nothing is pushed until a pull from 0 has taken the compacted
    /// documents, so head office never refuses an edit made behind its horizon.
    @Test func afterHistoryCompactedTheShowroomPullsBeforeItPushes() async throws {
        let group = try SyncHarness()
        let token = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let showroom = try SyncHarness()
        let relay = showroom.server.relay
        let configuration = UpstreamConfiguration(url: URL(string: group.url)!, token: token, pollSeconds: 0)
        let connection = RelayConnection(baseURL: configuration.url, token: token)
        let showroomPC = try showroom.device("olga", .sales, channel: .pc)
        let headOffice = try group.device("boris", .sales, channel: .pc)
        let deal = try await showroomPC.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await showroomPC.sync()
        #expect(try await relay.pushUpstream(connection, configuration, log: .discarding).pushed >= 1)
        try await headOffice.sync()
        try await headOffice.store.set(deal, "vehicle.price", Self.rub(2_290_000))
        try await headOffice.sync()
        _ = try await Self.compactAll(group)
        // Made at the showroom without head office's price, which is behind the horizon now.
        try await showroomPC.store.set(deal, "vehicle.color", .text("white"))
        try await showroomPC.sync()

        #expect(try await relay.pushUpstream(connection, configuration, log: .discarding) == (0, 0))  // 409 history_compacted
        #expect(try await relay.storedUpstreamPosition(group.url)?.cursor == .start)
        #expect(try await relay.pushUpstream(connection, configuration, log: .discarding).pushed == 0, "pushed before pulling")
        _ = try await relay.pullUpstream(connection, configuration, log: .discarding)
        _ = try await relay.pushUpstream(connection, configuration, log: .discarding)
        let refused = try await group.server.relay.storedQuarantine()
        #expect(refused.isEmpty, "\(refused.map(\.entry.reason))")
        // The device re-makes its edit on the compacted deal, and it goes up.
        try await showroomPC.sync()
        #expect(try await relay.pushUpstream(connection, configuration, log: .discarding).pushed >= 1)
        try await headOffice.sync()
        #expect(try await headOffice.card(deal).values["vehicle.color"] == .text("white"))
        await showroom.stop()
        await group.stop()
    }

    @Test func aShowroomThatWasAwayKeepsTheDealsItHadAndTakesTheOnesItLacks() async throws {
        let recorder = RelayLogRecorder()
        let (group, showroom) = try Self.chain(log: recorder.log)
        let showroomPC = try showroom.device("olga", .sales, channel: .pc)
        let headOffice = try group.device("boris", .sales, channel: .pc)
        let known = try await headOffice.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await headOffice.store.set(known, "vehicle.price", Self.rub(2_330_000))
        try await headOffice.sync()
        #expect(try await eventually(showroomPC, known) { $0.values["vehicle.price"] == Self.rub(2_330_000) })
        // While the showroom is off, a new deal comes and goes into the group relay's bases.
        await showroom.stop()
        let new = try await headOffice.store.createDeal(values: ["vehicle.model": .text("RAV4")])
        try await headOffice.store.set(new, "vehicle.trim", .text("Prestige"))
        try await headOffice.sync()
        let report = try await Self.compactAll(group)
        #expect(report.documents >= 2, "\(report)")
        try await showroom.restartRelay()
        // Told to sync again, the showroom takes the new deal's base; the deal it had needs nothing.
        #expect(try await eventually(showroomPC, new) { $0.values["vehicle.trim"] == .text("Prestige") })
        try await headOffice.store.set(known, "vehicle.trim", .text("Elegance"))
        try await headOffice.sync()
        #expect(try await eventually(showroomPC, known) { $0.values["vehicle.trim"] == .text("Elegance") })
        try await showroomPC.store.set(known, "vehicle.color", .text("white"))
        try await showroomPC.store.set(new, "vehicle.color", .text("black"))
        try await showroomPC.sync()
        #expect(try await eventually(headOffice, known) { $0.values["vehicle.color"] == .text("white") })
        #expect(try await eventually(headOffice, new) { $0.values["vehicle.color"] == .text("black") })
        #expect(!recorder.lines("upstream_history_compacted").isEmpty)
        let adopted = recorder.lines("upstream_base_adopted")
        #expect(adopted.contains { $0.contains(new.rawValue) } && !adopted.contains { $0.contains(known.rawValue) }, "\(adopted)")
        #expect(try await showroom.server.relay.storedQuarantine().isEmpty)
        #expect(try await showroomPC.store.quarantined().isEmpty)
        await showroom.stop()
        await group.stop()
    }

    @Test func aNewShowroomGetsTheDealsOfAnUpstreamThatCompacted() async throws {
        let group = try SyncHarness()
        let headOffice = try group.device("boris", .sales, channel: .pc)
        let web = try group.device("ivan", .buyer, channel: .web)
        let deal = try await web.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await web.sync()
        #expect(try await eventually(headOffice, deal) { $0.values["vehicle.model"] == .text("Camry") })
        for price: Int64 in [2_330_000, 2_290_000] {
            try await headOffice.store.set(deal, "vehicle.price", Self.rub(price))
            try await headOffice.sync()
        }
        try await headOffice.store.set(deal, "staff.notes", .text("Offer tyres"))
        try await headOffice.sync()
        _ = try await Self.compactAll(group)
        let token = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let showroom = try SyncHarness(upstream: UpstreamConfiguration(url: URL(string: group.url)!, token: token, pollSeconds: 1))
        let showroomPC = try showroom.device("olga", .sales, channel: .pc)
        let expected = try await headOffice.card(deal)
        #expect(try await eventually(showroomPC, deal) { $0.values == expected.values }, "the showroom's device never got the compacted deal")
        // The buyer who opened the deal on the web sees it on the showroom's kiosk: the base
        // kept the change that created it, so the showroom knows whose deal it is.
        let kiosk = try showroom.device("ivan", .buyer, channel: .kiosk)
        #expect(try await eventually(kiosk, deal) { $0.values["vehicle.price"] == Self.rub(2_290_000) }, "the buyer cannot see his deal in the showroom")
        #expect(try await kiosk.card(deal).documents == [.shared])
        // And it edits on top of it.
        try await showroomPC.store.set(deal, "vehicle.color", .text("white"))
        try await showroomPC.sync()
        #expect(try await eventually(headOffice, deal) { $0.values["vehicle.color"] == .text("white") })
        await showroom.stop()
        await group.stop()
    }
}
