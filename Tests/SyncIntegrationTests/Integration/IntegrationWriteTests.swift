import CRDT
@testable import DealCardKit
@testable import RelayClient
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
import Foundation
import RelayTestSupport
import Testing

@Suite("Integration writes through a real relay", .serialized)
struct IntegrationWriteTests {
    @Test func aCreatedDealReachesADeviceWithTheIntegrationChannel() async throws {
        let harness = try SyncHarness()
        let crm = try harness.token("crm", .integration)
        let answer = try await harness.integrationPost("/v1/integration/deals", token: crm, """
            {"deal": "d-crm-1", "fields": {"status.state": "lead", "status.crmId": "CRM-77",
             "payment.prepaymentAmount": "30 000"},
             "records": {"documents.items": [{"kind": "passport", "reference": "4510 123456"}]}}
            """)
        // Prepayment is cashier/sales only: the whole create is refused first.
        #expect(answer.status == 403)
        #expect(answer.errorMessage.contains("payment.prepaymentAmount"))
        #expect(answer.errorMessage.contains("writers: sales, cashier"))
        #expect(try await harness.loggedChanges("d-crm-1") == 0)

        let created = try await harness.integrationPost("/v1/integration/deals", token: crm, """
            {"deal": "d-crm-1", "fields": {"status.state": "lead", "status.crmId": "CRM-77", "payment.status": "pending"},
             "records": {"documents.items": [{"kind": "passport", "reference": "4510 123456"}]}}
            """)
        #expect(created.status == 200, "\(created.text)")
        #expect(created.value("deal")?.stringValue == "d-crm-1")
        #expect(created.value("change.seq")?.int64Value == 1)
        #expect(created.value("change.document")?.stringValue == "shared")
        #expect(created.value("change.replica")?.stringValue?.count == 16)
        #expect(created.value("cursor")?.int64Value == 1)

        let sales = try harness.device("olga", .sales, channel: .pc)
        try await sales.sync()
        let deal = DealID("d-crm-1")!
        let card = try await sales.card(deal)
        #expect(card.values["status.state"] == .enumCase("lead"))
        #expect(card.values["status.crmId"] == .text("CRM-77"))
        #expect(card.values["payment.status"] == .enumCase("pending"))
        #expect(card.values["documents.items"] == .list([.record(["kind": .enumCase("passport"), "reference": .text("4510 123456")])]))
        let history = try await sales.store.history(deal)
        #expect(history.count == 1)
        #expect(history.first?.author?.channel == .integration)
        #expect(history.first?.author?.role == .integration)
        #expect(history.first?.author?.user == "crm")
        #expect(history.first?.author?.device == "integration")

        // The device edits on top of the relay's change (same containers), then the gateway
        // captures the payment: both reach the device.
        try await sales.store.addRecord(deal, "documents.items", ["kind": .enumCase("contract"), "title": .text("Sale contract")])
        try await sales.sync()
        let gateway = try harness.token("gateway", .integration, device: "pay-gw-1")
        let captured = try await harness.integrationPost("/v1/integration/deals/d-crm-1", token: gateway, """
            {"fields": {"payment.status": "captured", "payment.reference": "X-1"}}
            """)
        #expect(captured.status == 200, "\(captured.text)")
        #expect(captured.value("change.seq")?.int64Value == 2)
        try await sales.sync()
        let after = try await sales.card(deal)
        #expect(after.values["payment.status"] == .enumCase("captured"))
        #expect(after.values["payment.reference"] == .text("X-1"))
        #expect(after.values["documents.items"].map { if case .list(let items) = $0 { items.count } else { 0 } } == 2)
        #expect(after.conflicts.isEmpty)
        let last = try await sales.store.history(deal).last
        #expect(last?.author?.user == "gateway" && last?.author?.device == "pay-gw-1" && last?.author?.channel == .integration)
        #expect(last?.edits.contains("payment.status = captured") == true)
        await harness.stop()
    }

    @Test func aGeneratedIdAndMoneyAsObjectOrText() async throws {
        let harness = try SyncHarness()
        let crm = try harness.token("crm", .integration)
        let created = try await harness.integrationPost("/v1/integration/deals", token: crm, """
            {"records": {"insurance.quotes": [{"kind": "osago", "insurer": "Ingos", "premium": {"minorUnits": 1250000, "currency": "RUB"}},
                                              {"kind": "kasko", "premium": "84 500"}]}}
            """)
        #expect(created.status == 200, "\(created.text)")
        let id = try #require(created.value("deal")?.stringValue.flatMap(DealID.init))
        #expect(id.rawValue.hasPrefix("d-"))
        let head = try harness.device("boss", .head, channel: .pc)
        try await head.sync()
        let quotes = try await head.card(id).values["insurance.quotes"]
        #expect(quotes == .list([
            .record(["kind": .enumCase("osago"), "insurer": .text("Ingos"), "premium": .money(minorUnits: 1_250_000, currency: "RUB")]),
            .record(["kind": .enumCase("kasko"), "premium": .money(minorUnits: 8_450_000, currency: "RUB")]),
        ]))
        // Creating the same id again is a conflict, not an overwrite.
        let again = try await harness.integrationPost("/v1/integration/deals", token: crm, #"{"deal": "\#(id)"}"#)
        #expect(again.status == 409 && again.errorCode == "conflict")
        await harness.stop()
    }

    @Test func aRefusedFieldRefusesTheWholeRequestAndWritesNothing() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await sales.sync()
        let before = try await harness.loggedChanges(deal.rawValue)
        let crm = try harness.token("crm", .integration)
        let answer = try await harness.integrationPost("/v1/integration/deals/\(deal)", token: crm, """
            {"fields": {"payment.status": "captured", "vehicle.price": "1 990 000"}}
            """)
        #expect(answer.status == 403)
        #expect(answer.errorCode == "forbidden")
        #expect(answer.errorMessage.contains("vehicle.price"))
        #expect(answer.errorMessage.contains("role integration may not write vehicle.price (writers: sales)"))
        #expect(try await harness.loggedChanges(deal.rawValue) == before)
        try await sales.sync()
        #expect(try await sales.card(deal).values["payment.status"] == nil)
        await harness.stop()
    }

    @Test(arguments: [Role.sales, .head, .buyer, .cashier])
    func otherRolesAreForbidden(role: Role) async throws {
        let harness = try SyncHarness()
        let token = try harness.token("someone", role)
        let answer = try await harness.integrationPost("/v1/integration/deals", token: token, #"{"fields": {"payment.status": "captured"}}"#)
        #expect(answer.status == 403 && answer.errorCode == "forbidden")
        #expect(answer.errorMessage.contains("role integration"))
        await harness.stop()
    }

    @Test func theIdempotencyKeyIsRequiredAndARepeatWritesOnce() async throws {
        let harness = try SyncHarness()
        let crm = try harness.token("crm", .integration)
        let missing = try await harness.integrationPost("/v1/integration/deals", token: crm, key: nil, #"{"deal": "d-k"}"#)
        #expect(missing.status == 400 && missing.errorMessage.contains("Idempotency-Key"))
        #expect(try await harness.loggedChanges("d-k") == 0)

        let body = #"{"deal": "d-k", "fields": {"status.crmId": "A"}}"#
        let first = try await harness.integrationPost("/v1/integration/deals", token: crm, key: "create-d-k", body)
        let second = try await harness.integrationPost("/v1/integration/deals", token: crm, key: "create-d-k", body)
        #expect(first.status == 200 && second.status == 200)
        #expect(first.body == second.body)
        #expect(try await harness.loggedChanges("d-k") == 1)

        let update = #"{"fields": {"payment.status": "captured"}}"#
        let u1 = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "capture-1", update)
        let u2 = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "capture-1", update)
        #expect(u1.body == u2.body && u1.value("change.seq")?.int64Value == 2)
        #expect(try await harness.loggedChanges("d-k") == 2)
        // Keys are per user: another connector's same key is its own write.
        let other = try harness.token("dms", .integration)
        let u3 = try await harness.integrationPost("/v1/integration/deals/d-k", token: other, key: "capture-1", update)
        #expect(u3.status == 200 && u3.value("change.seq")?.int64Value == 3)
        #expect(try await harness.loggedChanges("d-k") == 3)
        // A failed request stores nothing under its key: fixing it and retrying works.
        let bad = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "ref-1", #"{"fields": {"payment.status": "paid"}}"#)
        #expect(bad.status == 400)
        let fixed = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "ref-1", #"{"fields": {"payment.status": "refunded"}}"#)
        #expect(fixed.status == 200)
        await harness.stop()
    }

    /// Regression: keys were scoped by user only, so the second dealership's create got the
    /// first dealership's answer (its deal id and cursor) and nothing was written.
    @Test func connectorsOfTwoDealershipsWithTheSameUserAndKeyEachWriteTheirOwnDeal() async throws {
        let harness = try SyncHarness()
        let north = try harness.token("crm", .integration)
        let south = try harness.token("crm", .integration, dealership: "south")
        let body = #"{"fields": {"status.crmId": "LEAD-1"}}"#
        let first = try await harness.integrationPost("/v1/integration/deals", token: north, key: "lead-1", body)
        let second = try await harness.integrationPost("/v1/integration/deals", token: south, key: "lead-1", body)
        #expect(first.status == 200 && second.status == 200, "\(first.text) \(second.text)")
        let northDeal = try #require(first.value("deal")?.stringValue.flatMap(DealID.init))
        let southDeal = try #require(second.value("deal")?.stringValue.flatMap(DealID.init))
        #expect(northDeal != southDeal, "south got north's stored answer")
        #expect(first.value("cursor")?.int64Value == 1 && second.value("cursor")?.int64Value == 2, "the log's second change")
        #expect(try await harness.loggedChanges(southDeal.rawValue, dealership: "south") == 1)

        // Each connector's retry is still idempotent, within its own dealership.
        let northRetry = try await harness.integrationPost("/v1/integration/deals", token: north, key: "lead-1", body)
        let southRetry = try await harness.integrationPost("/v1/integration/deals", token: south, key: "lead-1", body)
        #expect(northRetry.body == first.body)
        #expect(southRetry.body == second.body)
        #expect(try await harness.loggedChanges(northDeal.rawValue) == 1)
        #expect(try await harness.loggedChanges(southDeal.rawValue, dealership: "south") == 1)

        // The south deal is south's: its head sees it with the connector's value.
        let head = try harness.device("boss", .head, channel: .pc, dealership: "south")
        try await head.sync()
        #expect(try await head.card(southDeal).values["status.crmId"] == .text("LEAD-1"))
        await harness.stop()
    }

    @Test func aKeyReusedForAnotherRequestIsRefusedAndWritesNothing() async throws {
        let harness = try SyncHarness()
        let crm = try harness.token("crm", .integration)
        let created = try await harness.integrationPost("/v1/integration/deals", token: crm, key: "k-create", #"{"deal": "d-k"}"#)
        #expect(created.status == 200, "\(created.text)")
        let capture = #"{"fields": {"payment.status": "captured"}}"#
        let first = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "k-1", capture)
        #expect(first.status == 200, "\(first.text)")

        // Another body under the same key: a new write that reused a key by mistake.
        let refund = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "k-1",
                                                       #"{"fields": {"payment.status": "refunded"}}"#)
        #expect(refund.status == 422, "\(refund.text)")
        #expect(refund.errorCode == "idempotency_key_reused")
        #expect(refund.errorMessage.contains("Idempotency-Key \"k-1\" was already used"), "\(refund.errorMessage)")
        #expect(refund.errorMessage.contains("nothing was written"))
        #expect(refund.errorMessage.contains("new key"))
        // The same body for another deal (another path) is another request too.
        let elsewhere = try await harness.integrationPost("/v1/integration/deals", token: crm, key: "k-1", capture)
        #expect(elsewhere.status == 422 && elsewhere.errorCode == "idempotency_key_reused", "\(elsewhere.text)")
        #expect(try await harness.loggedChanges("d-k") == 2)

        // The same request again is a retry and gets the kept answer.
        let retry = try await harness.integrationPost("/v1/integration/deals/d-k", token: crm, key: "k-1", capture)
        #expect(retry.status == 200 && retry.body == first.body)
        #expect(try await harness.loggedChanges("d-k") == 2)
        let sales = try harness.device("olga", .sales, channel: .pc)
        try await sales.sync()
        #expect(try await sales.card(DealID("d-k")!).values["payment.status"] == .enumCase("captured"))
        await harness.stop()
    }

    @Test(arguments: [
        (#"{"fields": {"payment.status": "captured"}"#, "not JSON"),
        (#"["payment.status"]"#, "JSON object"),
        (#"{"field": {}}"#, "unknown member \"field\""),
        (#"{"deal": "d-2", "fields": {}}"#, "unknown member \"deal\""),
        (#"{"fields": {"payment.sttus": "captured"}}"#, "payment.sttus: unknown field; did you mean payment.status?"),
        (#"{"fields": {"payment.status": "paid"}}"#, "payment.status: expected one of none, pending, captured, failed, refunded, got \"paid\""),
        (#"{"fields": {"status.crmId": 42}}"#, "status.crmId: expected text, got 42"),
        (#"{"records": {"documents.items": [{"kind": "passport", "color": "red"}]}}"#, "documents.items[0].color"),
        (#"{"records": {"payment.status": [{}]}}"#, "payment.status is a enum field, not a list"),
        (#"{"fields": {"documents.items.0": "x"}}"#, "documents.items.0 names a part of a list field"),
    ])
    func malformedRequestsAre400NamingTheProblem(body: String, expected: String) async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal(id: DealID("d-1")!)
        try await sales.sync()
        let crm = try harness.token("crm", .integration)
        let answer = try await harness.integrationPost("/v1/integration/deals/\(deal)", token: crm, body)
        #expect(answer.status == 400, "\(answer.text)")
        #expect(answer.errorCode == "bad_request")
        #expect(answer.errorMessage.contains(expected), "\(answer.errorMessage)")
        #expect(try await harness.loggedChanges(deal.rawValue) == 1)
        await harness.stop()
    }

    @Test func hiddenAndMissingDealsAreNotFound() async throws {
        let harness = try SyncHarness()
        let foreign = try harness.device("rival", .sales, channel: .pc, dealership: "north")
        let deal = try await foreign.store.createDeal()
        try await foreign.sync()
        let crmSouth = try harness.token("crm", .integration, dealership: "south")  // the deal is north's
        let missing = try await harness.integrationPost("/v1/integration/deals/d-nope", token: crmSouth, #"{"fields": {"status.crmId": "1"}}"#)
        #expect(missing.status == 404 && missing.errorCode == "not_found")
        let hidden = try await harness.integrationPost("/v1/integration/deals/\(deal)", token: crmSouth, #"{"fields": {"status.crmId": "1"}}"#)
        #expect(hidden.status == 404)
        #expect(hidden.errorMessage == missing.errorMessage.replacingOccurrences(of: "d-nope", with: deal.rawValue))
        await harness.stop()
    }

    @Test func aLiveDeviceReceivesAnIntegrationWriteWithoutAManualSync() async throws {
        let harness = try SyncHarness()
        let kiosk = try harness.device("ivan", .buyer, channel: .kiosk)
        let deal = try await kiosk.store.createDeal(values: ["vehicle.model": .text("RAV4")])
        try await kiosk.sync()
        await kiosk.session.startLive(pollSeconds: 10)
        try await Task.sleep(for: .milliseconds(300))
        let gateway = try harness.token("gateway", .integration)
        let answer = try await harness.integrationPost("/v1/integration/deals/\(deal)", token: gateway,
                                                       #"{"fields": {"payment.status": "captured"}}"#)
        #expect(answer.status == 200, "\(answer.text)")
        let started = ContinuousClock.now
        var seen = false
        while ContinuousClock.now < started + .seconds(8) {
            if try await kiosk.card(deal).values["payment.status"] == .enumCase("captured") { seen = true; break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(seen, "the live kiosk never received the captured payment")
        // Well before the long-poll's own 10 s timeout: it was woken by the commit.
        #expect(ContinuousClock.now - started < .seconds(5))
        await kiosk.session.stopLive()
        await harness.stop()
    }

    @Test func aDeviceCannotPushUnderTheRelaysReplica() async throws {
        let harness = try SyncHarness()
        let crm = try harness.token("crm", .integration)
        let created = try await harness.integrationPost("/v1/integration/deals", token: crm, #"{"deal": "d-r"}"#)
        let replica = try #require(created.value("change.replica")?.stringValue.flatMap(ReplicaID.init(hex:)))
        let sales = try harness.device("olga", .sales, channel: .pc)
        try await sales.sync()
        let deal = DealID("d-r")!
        let stolen = DeviceIdentity(replica: replica, user: "olga", role: .sales, dealership: "north",
                                    device: sales.store.identity.device, channel: .pc)
        let forged = try await sales.store.forgeForTest(deal, as: stolen) { tx in try tx.put(.root, "vehicle.model", .string("Lada")) }
        let token = try harness.token("olga", .sales, device: sales.store.identity.device)
        let response: SyncResponse = try await RelayConnection(baseURL: URL(string: harness.url)!, token: token).post("v1/sync", SyncRequest(
            cursor: 1, push: [PushedChange(deal: deal, document: .shared, change: forged.encoded())]))
        #expect(response.refused.first?.code == .impersonation)
        await harness.stop()
    }
}
