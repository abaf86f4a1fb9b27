@testable import DealCardKit
import Foundation
import RelayTestSupport
import Testing

@Suite("Deal analytics through a real relay", .serialized)
struct AnalyticsTests {
    /// Milliseconds since 1970, `hours` ago.
    static func hoursAgo(_ hours: Int64) -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) - hours * 3_600_000 }

    @Test func stagesCompletenessChannelsAndIdleDeals() async throws {
        let harness = try SyncHarness()
        // Fixed clocks, so that the order of changes by author time is the story told here.
        let web = try harness.device("ivan", .buyer, channel: .web, clock: { [t = Self.hoursAgo(3)] in t })
        let kiosk = try harness.device("ivan", .buyer, channel: .kiosk, clock: { [t = Self.hoursAgo(2)] in t })
        let sales = try harness.device("olga", .sales, channel: .pc, clock: { [t = Self.hoursAgo(1)] in t })
        let old = try harness.device("petr", .sales, channel: .phone, clock: { [t = Self.hoursAgo(30 * 24)] in t })

        // A: web → kiosk → pc; the vehicle stage done, credit in progress.
        let a = try await web.store.createDeal(id: DealID("d-a")!, values: [
            "vehicle.model": .text("Camry"), "vehicle.trim": .text("Prestige"), "vehicle.color": .text("white")])
        try await web.sync()
        try await kiosk.sync()
        try await kiosk.store.set(a, "credit.downPayment", parsing: "300 000")
        try await kiosk.sync()
        try await sales.sync()
        try await sales.store.set(a, "vehicle.price", parsing: "2 330 000")
        // B: pc, trade-in skipped, then the payment gateway (integration, now).
        let b = try await sales.store.createDeal(id: DealID("d-b")!, values: ["vehicle.model": .text("RAV4")])
        try await sales.store.skip(b, .tradeIn)
        // D: every stage with required fields done or skipped: 100%.
        let d = try await sales.store.createDeal(id: DealID("d-d")!, values: [
            "vehicle.model": .text("Niva"), "vehicle.trim": .text("Urban"), "vehicle.color": .text("green"),
            "vehicle.price": .money(minorUnits: 150_000_000, currency: "RUB")])
        for stage: Stage in [.tradeIn, .credit, .insurance, .payment, .delivery, .documents, .status] {
            try await sales.store.skip(d, stage)
        }
        try await sales.sync()
        let gateway = try harness.token("gateway", .integration)
        let captured = try await harness.integrationPost("/v1/integration/deals/\(b)", token: gateway, #"{"fields": {"payment.status": "captured"}}"#)
        #expect(captured.status == 200, "\(captured.text)")
        // C: last touched 30 days ago on a phone.
        let c = try await old.store.createDeal(id: DealID("d-c")!, values: ["vehicle.model": .text("Vesta")])
        try await old.sync()

        let head = try harness.token("boss", .head)
        let report = try await harness.request("GET", "/v1/analytics", token: head)
        #expect(report.status == 200, "\(report.text)")
        func int(_ path: String) -> Int64? { report.value(path)?.int64Value }
        #expect(int("deals") == 4)
        #expect(int("byState.unset") == 4 && int("byState.won") == 0)
        // Stages.
        #expect(int("byStage.vehicle.done") == 2 && int("byStage.vehicle.inProgress") == 2 && int("byStage.vehicle.untouched") == 0)
        #expect(int("byStage.tradeIn.skipped") == 2 && int("byStage.tradeIn.untouched") == 2)
        #expect(int("byStage.credit.inProgress") == 1 && int("byStage.credit.skipped") == 1 && int("byStage.credit.untouched") == 2)
        #expect(int("byStage.payment.inProgress") == 1 && int("byStage.payment.skipped") == 1 && int("byStage.payment.untouched") == 2)
        #expect(int("byStage.assessment.untouched") == 4)
        // Completeness of 19 required fields: A 5/19 (26%), B 2/17 with the trade-in skipped
        // (11%), C 1/19 (5%), D 4/4 (100%); the mean is 35.8%.
        #expect(int("completeness.buckets.0-24") == 2 && int("completeness.buckets.25-49") == 1)
        #expect(int("completeness.buckets.50-74") == 0 && int("completeness.buckets.75-99") == 0 && int("completeness.buckets.100") == 1)
        #expect(report.value("completeness.averagePercent") == .number("35.8"))
        // Channels: A last on pc, B on integration, C on phone, D on pc.
        #expect(int("lastChannel.pc") == 2 && int("lastChannel.integration") == 1 && int("lastChannel.phone") == 1)
        #expect(int("lastChannel.web") == 0 && int("lastChannel.kiosk") == 0)
        // Switches: A web→kiosk→pc (2), B pc→integration (1).
        #expect(int("channelSwitches.total") == 3)
        #expect(report.value("channelSwitches.averagePerDeal") == .number("0.75"))
        #expect(report.value("channelSwitches.top") == .array([
            .object(["deal": .string(a.rawValue), "switches": .integer(2), "path": .array([.string("web"), .string("kiosk"), .string("pc")])]),
            .object(["deal": .string(b.rawValue), "switches": .integer(1), "path": .array([.string("pc"), .string("integration")])]),
        ]))
        // Idle for the default 7 days: only C.
        #expect(int("idle.days") == 7 && int("idle.count") == 1)
        if case .array(let idle)? = report.value("idle.deals"), case .object(let first)? = idle.first {
            #expect(first["deal"] == .string(c.rawValue) && first["idleDays"] == .integer(30))
            #expect(first["lastChangeAt"]?.stringValue?.hasSuffix("Z") == true)
        } else {
            Issue.record("no idle deals in \(report.text)")
        }
        let longer = try await harness.request("GET", "/v1/analytics?idleDays=40", token: head)
        #expect(longer.value("idle.count")?.int64Value == 0 && longer.value("idle.days")?.int64Value == 40)
        let bad = try await harness.request("GET", "/v1/analytics?idleDays=week", token: head)
        #expect(bad.status == 400 && bad.errorMessage.contains("idleDays"))

        // Current as changes arrive: closing C takes it out of the idle list.
        try await sales.sync()
        try await sales.store.set(c, "status.state", .enumCase("lost"))
        try await sales.sync()
        let after = try await harness.request("GET", "/v1/analytics", token: head)
        #expect(after.value("byState.lost")?.int64Value == 1)
        #expect(after.value("idle.count")?.int64Value == 0)
        #expect(after.value("lastChannel.pc")?.int64Value == 3)
        #expect(after.value("channelSwitches.total")?.int64Value == 4, "C went phone → pc")
        await harness.stop()
    }

    @Test(arguments: [Role.sales, .buyer, .integration, .finance])
    func onlyTheHeadOfSalesGetsAnalytics(role: Role) async throws {
        let harness = try SyncHarness()
        let token = try harness.token("someone", role)
        let answer = try await harness.request("GET", "/v1/analytics", token: token)
        #expect(answer.status == 403 && answer.errorCode == "forbidden")
        await harness.stop()
    }

    @Test func anotherDealershipsDealsAreNotCounted() async throws {
        let harness = try SyncHarness()
        let south = try harness.device("rival", .sales, channel: .pc, dealership: "south")
        try await south.store.createDeal(values: ["vehicle.model": .text("Granta")])
        try await south.sync()
        let report = try await harness.request("GET", "/v1/analytics", token: try harness.token("boss", .head))
        #expect(report.status == 200)
        #expect(report.value("deals")?.int64Value == 0)
        #expect(report.value("completeness.averagePercent") == .number("0"))
        await harness.stop()
    }
}
