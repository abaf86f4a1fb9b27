@testable import DealCardKit
@testable import RelayClient
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import Testing

/// A showroom relay on the manager's PC syncs upstream to the dealership group's relay with
/// the same protocol as a device: device → showroom relay → group relay → device converges.
@Suite("Relays in a chain", .serialized)
struct RelayChainTests {
    @Test func aShowroomRelayAndTheGroupRelayConverge() async throws {
        let group = try SyncHarness()
        let relayToken = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let showroom = try SyncHarness(upstream: UpstreamConfiguration(url: URL(string: group.url)!, token: relayToken, pollSeconds: 2))
        let kiosk = try showroom.device("ivan", .buyer, channel: .kiosk)
        let showroomPC = try showroom.device("olga", .sales, channel: .pc)
        let headOffice = try group.device("boris", .sales, channel: .pc)
        let phone = try group.device("ivan", .buyer, channel: .phone)

        // The buyer starts on the showroom kiosk; the group relay gets it through the chain.
        let deal = try await kiosk.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await kiosk.store.set(deal, "credit.downPayment", .money(minorUnits: 30_000_000, currency: "RUB"))
        try await kiosk.sync()
        #expect(try await eventually(headOffice, deal) { $0.values["vehicle.model"] == .text("Camry") }, "the group relay never got the kiosk's deal")
        // The buyer's own phone, syncing with the group relay directly, sees his deal.
        #expect(try await eventually(phone, deal) { $0.values["credit.downPayment"] != nil }, "the buyer's phone never saw his deal")

        // Edits at head office and in the showroom, some at once, flow both ways.
        try await headOffice.store.set(deal, "vehicle.price", .money(minorUnits: 233_000_000, currency: "RUB"))
        try await headOffice.store.set(deal, "credit.downPayment", .money(minorUnits: 40_000_000, currency: "RUB"))
        try await showroomPC.sync()
        try await showroomPC.store.set(deal, "staff.notes", .text("Offer tyres"))
        try await kiosk.store.set(deal, "credit.downPayment", .money(minorUnits: 35_000_000, currency: "RUB"))
        try await headOffice.sync()
        try await showroomPC.sync()
        try await kiosk.sync()
        #expect(try await eventually(kiosk, deal) { $0.values["vehicle.price"] != nil && ($0.conflicts["credit.downPayment"]?.count ?? 0) == 2 })
        #expect(try await eventually(headOffice, deal) { $0.values["staff.notes"] == .text("Offer tyres") && ($0.conflicts["credit.downPayment"]?.count ?? 0) == 2 })
        #expect(try await eventually(phone, deal) { ($0.conflicts["credit.downPayment"]?.count ?? 0) == 2 })
        #expect(try await eventually(showroomPC, deal) { ($0.conflicts["credit.downPayment"]?.count ?? 0) == 2 && $0.values["vehicle.price"] != nil })

        let cards = [try await kiosk.card(deal), try await phone.card(deal), try await showroomPC.card(deal), try await headOffice.card(deal)]
        let shared = cards.map { $0.values.filter { !$0.key.hasPrefix("staff.") } }
        #expect(shared.allSatisfy { $0 == shared[0] }, "the four devices disagree")
        #expect(cards[2] == cards[3], "the two staff devices disagree")
        #expect(cards[0].documents == [.shared] && cards[1].documents == [.shared], "a buyer received the staff card")
        await showroom.stop()
        await group.stop()
    }

    @Test func aRelayTokenCannotForwardAForbiddenEdit() async throws {
        let group = try SyncHarness()
        let relayToken = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let buyer = try group.device("ivan", .buyer, channel: .web)
        let deal = try await buyer.store.createDeal()
        try await buyer.sync()
        // A forwarded change is checked against its own author's role: a buyer's price edit is refused.
        let forged = try await buyer.store.forgeForTest(deal) { tx in try tx.put(.root, "vehicle.price", .int(1)) }
        let connection = RelayConnection(baseURL: URL(string: group.url)!, token: relayToken)
        let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(
            cursor: 0, push: [PushedChange(deal: deal, document: .shared, change: forged.encoded())]))
        #expect(response.refused.first?.code == .permission)
        #expect(response.refused.first?.path == "vehicle.price")
        await group.stop()
    }
}
