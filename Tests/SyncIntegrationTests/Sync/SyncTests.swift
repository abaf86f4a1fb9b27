@testable import RelayClient
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
import Foundation
import RelayTestSupport
import Testing

@Suite("Device sync through a real relay", .serialized)
struct SyncTests {
    @Test func offlineEditsOnThreeDevicesConvergeInEveryOrder() async throws {
        let orders = [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]]
        for order in orders {
            let harness = try SyncHarness()
            let buyer = try harness.device("ivan", .buyer, channel: .web)
            let sales = try harness.device("olga", .sales, channel: .pc)
            let appraiser = try harness.device("petr", .appraiser, channel: .tablet)
            let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
            try await buyer.sync()
            try await sales.sync()
            try await appraiser.sync()
            // All three offline at once.
            try await buyer.store.set(deal, "credit.downPayment", parsing: "300 000")
            try await buyer.store.post(deal, "Can I bring my old car?")
            try await sales.store.set(deal, "vehicle.price", parsing: "2 330 000")
            try await sales.store.set(deal, "credit.downPayment", parsing: "350 000")
            try await sales.store.set(deal, "staff.notes", .text("Offer winter tyres"))
            try await appraiser.store.set(deal, "tradeIn.appraisedValue", parsing: "610 000")
            let devices = [buyer, sales, appraiser]
            for index in order { try await devices[index].sync() }
            for index in order { try await devices[index].sync() }
            let buyerCard = try await buyer.card(deal)
            let salesCard = try await sales.card(deal)
            let appraiserCard = try await appraiser.card(deal)
            #expect(salesCard == appraiserCard, "order \(order)")
            #expect(buyerCard.values == salesCard.values.filter { !$0.key.hasPrefix("staff.") }, "order \(order)")
            #expect(buyerCard.conflicts["credit.downPayment"]?.count == 2, "order \(order)")
            #expect(salesCard.values["tradeIn.appraisedValue"] == .money(minorUnits: 61_000_000, currency: "RUB"))
            #expect(buyerCard.values["staff.notes"] == nil)
            await harness.stop()
        }
    }

    @Test func theBuyerNeverReceivesTheStaffCardAndHeadSeesOnlyItsDealership() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let otherBuyer = try harness.device("anna", .buyer, channel: .phone)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let head = try harness.device("boss", .head, channel: .pc)
        let foreignHead = try harness.device("rival", .head, channel: .pc, dealership: "south")
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("RAV4")])
        try await buyer.sync()
        try await sales.sync()
        try await sales.store.set(deal, "staff.margin", parsing: "120 000")
        try await sales.store.addRecord(deal, "staff.benefitsMenu", ["title": .text("Free tinting")])
        try await sales.sync()
        try await buyer.sync()
        try await otherBuyer.sync()
        try await head.sync()
        try await foreignHead.sync()
        #expect(try await buyer.card(deal).documents == [.shared])
        #expect(try await buyer.store.rowCount("documents") == 1)
        #expect(try await otherBuyer.store.dealIDs().isEmpty)
        #expect(try await head.card(deal).values["staff.margin"] == .money(minorUnits: 12_000_000, currency: "RUB"))
        #expect(try await foreignHead.store.dealIDs().isEmpty)
        await harness.stop()
    }

    @Test func aForgedChangeIsRefusedQuarantinedAndDoesNotWedgeSync() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Niva")])
        try await buyer.sync()
        try await sales.sync()
        // A tampered buyer client writes the price, then keeps editing.
        try await buyer.store.forgeForTest(deal) { tx in try tx.put(.root, "vehicle.price", .int(1)) }
        try await buyer.store.set(deal, "tradeIn.description", .text("Lada 2107"))
        try await buyer.store.post(deal, "hello")
        let report = try await buyer.sync()
        #expect(report.refused.first?.code == .permission)
        #expect(report.refused.first?.path == "vehicle.price")
        let quarantined = try await buyer.store.quarantined()
        #expect(quarantined.first?.reason.contains("vehicle.price") == true)
        #expect(try await buyer.store.outboxCount() == 0, "the later edits were re-made and accepted")
        #expect(try await buyer.card(deal).values["vehicle.price"] == nil, "the device returned to the relay's state")
        try await sales.sync()
        let salesCard = try await sales.card(deal)
        #expect(salesCard.values["vehicle.price"] == nil)
        #expect(salesCard.values["tradeIn.description"] == .text("Lada 2107"))
        #expect(salesCard.values["conversation.messages"] == .list([.record(["text": .text("hello"), "author": .text("ivan")])]))
        // And sync goes on.
        try await sales.store.set(deal, "vehicle.price", parsing: "1 000 000")
        try await sales.sync()
        try await buyer.sync()
        #expect(try await buyer.card(deal).values["vehicle.price"] == .money(minorUnits: 100_000_000, currency: "RUB"))
        await harness.stop()
    }

    @Test func aChangeFromAnotherDevicesReplicaIsRefused() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal()
        try await sales.sync()
        // Another sales device copies olga's replica id into its own store.
        let thief = try harness.device("olga", .sales, channel: .tablet)
        try await thief.sync()
        let stolen = DeviceIdentity(replica: sales.store.identity.replica, user: "olga", role: .sales, dealership: "north",
                                    device: thief.store.identity.device, channel: .tablet)
        let forged = try await thief.store.forgeForTest(deal, as: stolen) { tx in try tx.put(.root, "vehicle.model", .string("Lada")) }
        let token = try harness.token("olga", .sales, device: thief.store.identity.device)
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: token)
        let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(
            cursor: 1, push: [PushedChange(deal: deal, document: .shared, change: forged.encoded())]))
        #expect(response.refused.first?.code == .impersonation)
        await harness.stop()
    }

    @Test func badRequestsGetClearErrors() async throws {
        let harness = try SyncHarness()
        let token = try harness.token("olga", .sales)
        let good = RelayConnection(baseURL: URL(string: harness.url)!, token: token)
        let bad = RelayConnection(baseURL: URL(string: harness.url)!, token: "dst_not-a-real-token")
        do {
            let _: SyncResponse = try await bad.post("v1/sync", SyncRequest(cursor: 0, push: []))
            Issue.record("an unknown token was accepted")
        } catch {
            #expect("\(error)".contains("401"))
        }
        var old = SyncRequest(cursor: 0, push: [])
        old.protocolVersion = 99
        do {
            let _: SyncResponse = try await good.post("v1/sync", old)
            Issue.record("protocol 99 was accepted")
        } catch {
            #expect("\(error)".contains("protocol 99"))
        }
        do {
            let _: SyncResponse = try await good.post("v1/sync", ["cursor": "zero"])
            Issue.record("a malformed body was accepted")
        } catch {
            #expect("\(error)".contains("400"))
        }
        let whoami: WhoAmI = try await good.get("v1/whoami")
        #expect(whoami.user == "olga" && whoami.role == .sales && whoami.dealership == "north")
        await harness.stop()
    }

    @Test func liveModeDeliversARemoteEditWithoutAManualSync() async throws {
        let harness = try SyncHarness()
        let kiosk = try harness.device("ivan", .buyer, channel: .kiosk)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await kiosk.store.createDeal()
        try await kiosk.sync()
        try await sales.sync()
        await kiosk.session.startLive(pollSeconds: 10)
        try await Task.sleep(for: .milliseconds(200))
        try await sales.store.set(deal, "vehicle.price", parsing: "2 000 000")
        try await sales.sync()
        let deadline = ContinuousClock.now + .seconds(10)
        var seen = false
        while ContinuousClock.now < deadline {
            if try await kiosk.card(deal).values["vehicle.price"] != nil { seen = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen, "the kiosk never received the price")
        // And a local edit on the live device reaches the relay promptly too.
        try await kiosk.store.set(deal, "vehicle.color", .text("red"))
        var pushed = false
        let pushDeadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < pushDeadline {
            if try await kiosk.store.outboxCount() == 0 { pushed = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(pushed)
        await kiosk.session.stopLive()
        await harness.stop()
    }

    @Test func aRelayRestartLosesNothing() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        try await harness.restartRelay()
        try await sales.sync()
        try await buyer.store.set(deal, "vehicle.color", .text("blue"))
        try await buyer.session.syncRetrying()
        try await sales.session.syncRetrying()
        #expect(try await sales.card(deal).values["vehicle.color"] == .text("blue"))
        #expect(try await sales.card(deal).values["vehicle.model"] == .text("Camry"))
        await harness.stop()
    }
}
