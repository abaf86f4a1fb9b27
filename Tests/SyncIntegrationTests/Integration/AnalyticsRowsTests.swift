import CRDT
@testable import DealCardKit
import Foundation
import RelayTestSupport
@_spi(Testing) import SyncCore
@testable import SyncServer
import SyncProtocol
import Synchronization
import Testing
import TestSupport

/// The relay keeps each deal's analytics facts in a row, written in the transaction of the
/// deal's changes, and answers `GET /v1/analytics` from the rows alone; these tests hold the
/// rows to the definition: the facts recomputed from the deal's documents as loaded afresh
/// from the log (`DealAnalytics.facts(deal:documents:)`).
@Suite("Analytics rows kept on commit", .serialized)
struct AnalyticsRowsTests {
    /// One report the build before the rows gave for ``AnalyticsFixture``'s store at its
    /// `now`, byte for byte.
    struct PinnedAnswer: Sendable {
        var dealership: String
        var deal: String?
        var idleDays: Int
        var json: String
    }

    /// Answers of the build before analytics rows (commit a8ed42d) for the fixture's store.
    static let pinnedAnswers: [PinnedAnswer] = [
        PinnedAnswer(dealership: "north", deal: nil, idleDays: 7, json: #"{"asOf":"2025-06-15T15:06:40Z","byStage":{"assessment":{"done":2,"inProgress":0,"skipped":0,"untouched":5},"benefits":{"done":0,"inProgress":0,"skipped":0,"untouched":7},"conversation":{"done":0,"inProgress":0,"skipped":0,"untouched":7},"credit":{"done":0,"inProgress":2,"skipped":1,"untouched":4},"delivery":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"documents":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"insurance":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"payment":{"done":0,"inProgress":1,"skipped":1,"untouched":5},"status":{"done":3,"inProgress":0,"skipped":0,"untouched":4},"tradeIn":{"done":0,"inProgress":0,"skipped":2,"untouched":5},"vehicle":{"done":2,"inProgress":5,"skipped":0,"untouched":0}},"byState":{"active":1,"cancelled":0,"lead":0,"lost":0,"onHold":1,"unset":4,"won":1},"channelSwitches":{"averagePerDeal":1.29,"top":[{"deal":"d-golf","path":["pc","phone","pc","tablet"],"switches":3},{"deal":"d-alpha","path":["web","kiosk","pc"],"switches":2},{"deal":"d-bravo","path":["phone","pc","integration"],"switches":2},{"deal":"d-foxtrot","path":["pc","tablet","pc"],"switches":2}],"total":9},"completeness":{"averagePercent":28.1,"buckets":{"0-24":4,"100":1,"25-49":2,"50-74":0,"75-99":0}},"cursor":18,"deals":7,"idle":{"count":2,"days":7,"deals":[{"deal":"d-charlie","idleDays":30,"lastChangeAt":"2025-05-16T15:06:40Z"},{"deal":"d-foxtrot","idleDays":10,"lastChangeAt":"2025-06-05T05:06:40Z"}]},"lastChannel":{"integration":1,"kiosk":0,"pc":3,"phone":1,"tablet":1,"web":1}}"#),
        PinnedAnswer(dealership: "north", deal: nil, idleDays: 0, json: #"{"asOf":"2025-06-15T15:06:40Z","byStage":{"assessment":{"done":2,"inProgress":0,"skipped":0,"untouched":5},"benefits":{"done":0,"inProgress":0,"skipped":0,"untouched":7},"conversation":{"done":0,"inProgress":0,"skipped":0,"untouched":7},"credit":{"done":0,"inProgress":2,"skipped":1,"untouched":4},"delivery":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"documents":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"insurance":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"payment":{"done":0,"inProgress":1,"skipped":1,"untouched":5},"status":{"done":3,"inProgress":0,"skipped":0,"untouched":4},"tradeIn":{"done":0,"inProgress":0,"skipped":2,"untouched":5},"vehicle":{"done":2,"inProgress":5,"skipped":0,"untouched":0}},"byState":{"active":1,"cancelled":0,"lead":0,"lost":0,"onHold":1,"unset":4,"won":1},"channelSwitches":{"averagePerDeal":1.29,"top":[{"deal":"d-golf","path":["pc","phone","pc","tablet"],"switches":3},{"deal":"d-alpha","path":["web","kiosk","pc"],"switches":2},{"deal":"d-bravo","path":["phone","pc","integration"],"switches":2},{"deal":"d-foxtrot","path":["pc","tablet","pc"],"switches":2}],"total":9},"completeness":{"averagePercent":28.1,"buckets":{"0-24":4,"100":1,"25-49":2,"50-74":0,"75-99":0}},"cursor":18,"deals":7,"idle":{"count":5,"days":0,"deals":[{"deal":"d-charlie","idleDays":30,"lastChangeAt":"2025-05-16T15:06:40Z"},{"deal":"d-foxtrot","idleDays":10,"lastChangeAt":"2025-06-05T05:06:40Z"},{"deal":"d-golf","idleDays":0,"lastChangeAt":"2025-06-15T08:06:40Z"},{"deal":"d-bravo","idleDays":0,"lastChangeAt":"2025-06-15T13:06:40Z"},{"deal":"d-alpha","idleDays":0,"lastChangeAt":"2025-06-15T14:06:40Z"}]},"lastChannel":{"integration":1,"kiosk":0,"pc":3,"phone":1,"tablet":1,"web":1}}"#),
        PinnedAnswer(dealership: "north", deal: nil, idleDays: 40, json: #"{"asOf":"2025-06-15T15:06:40Z","byStage":{"assessment":{"done":2,"inProgress":0,"skipped":0,"untouched":5},"benefits":{"done":0,"inProgress":0,"skipped":0,"untouched":7},"conversation":{"done":0,"inProgress":0,"skipped":0,"untouched":7},"credit":{"done":0,"inProgress":2,"skipped":1,"untouched":4},"delivery":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"documents":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"insurance":{"done":0,"inProgress":0,"skipped":1,"untouched":6},"payment":{"done":0,"inProgress":1,"skipped":1,"untouched":5},"status":{"done":3,"inProgress":0,"skipped":0,"untouched":4},"tradeIn":{"done":0,"inProgress":0,"skipped":2,"untouched":5},"vehicle":{"done":2,"inProgress":5,"skipped":0,"untouched":0}},"byState":{"active":1,"cancelled":0,"lead":0,"lost":0,"onHold":1,"unset":4,"won":1},"channelSwitches":{"averagePerDeal":1.29,"top":[{"deal":"d-golf","path":["pc","phone","pc","tablet"],"switches":3},{"deal":"d-alpha","path":["web","kiosk","pc"],"switches":2},{"deal":"d-bravo","path":["phone","pc","integration"],"switches":2},{"deal":"d-foxtrot","path":["pc","tablet","pc"],"switches":2}],"total":9},"completeness":{"averagePercent":28.1,"buckets":{"0-24":4,"100":1,"25-49":2,"50-74":0,"75-99":0}},"cursor":18,"deals":7,"idle":{"count":0,"days":40,"deals":[]},"lastChannel":{"integration":1,"kiosk":0,"pc":3,"phone":1,"tablet":1,"web":1}}"#),
        PinnedAnswer(dealership: "north", deal: "d-golf", idleDays: 7, json: #"{"asOf":"2025-06-15T15:06:40Z","byStage":{"assessment":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"benefits":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"conversation":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"credit":{"done":0,"inProgress":1,"skipped":0,"untouched":0},"delivery":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"documents":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"insurance":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"payment":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"status":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"tradeIn":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"vehicle":{"done":0,"inProgress":1,"skipped":0,"untouched":0}},"byState":{"active":0,"cancelled":0,"lead":0,"lost":0,"onHold":0,"unset":1,"won":0},"channelSwitches":{"averagePerDeal":3,"top":[{"deal":"d-golf","path":["pc","phone","pc","tablet"],"switches":3}],"total":3},"completeness":{"averagePercent":26.3,"buckets":{"0-24":0,"100":0,"25-49":1,"50-74":0,"75-99":0}},"cursor":18,"deals":1,"idle":{"count":0,"days":7,"deals":[]},"lastChannel":{"integration":0,"kiosk":0,"pc":0,"phone":0,"tablet":1,"web":0}}"#),
        PinnedAnswer(dealership: "south", deal: nil, idleDays: 7, json: #"{"asOf":"2025-06-15T15:06:40Z","byStage":{"assessment":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"benefits":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"conversation":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"credit":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"delivery":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"documents":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"insurance":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"payment":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"status":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"tradeIn":{"done":0,"inProgress":0,"skipped":0,"untouched":1},"vehicle":{"done":0,"inProgress":1,"skipped":0,"untouched":0}},"byState":{"active":0,"cancelled":0,"lead":0,"lost":0,"onHold":0,"unset":1,"won":0},"channelSwitches":{"averagePerDeal":0,"top":[],"total":0},"completeness":{"averagePercent":5.3,"buckets":{"0-24":1,"100":0,"25-49":0,"50-74":0,"75-99":0}},"cursor":18,"deals":1,"idle":{"count":0,"days":7,"deals":[]},"lastChannel":{"integration":0,"kiosk":0,"pc":1,"phone":0,"tablet":0,"web":0}}"#),
    ]

    /// A store of the build before analytics rows, and one of the first build with rows (before
    /// the totals): both answer what the build before the rows answered.
    @Test(arguments: [false, true])
    func anOldStoreAnswersExactlyWhatItAnsweredBefore(writtenWithFirstRows: Bool) async throws {
        let harness = try SyncHarness(prepareRelayData: writtenWithFirstRows ? AnalyticsFixture.writeFirstRowsStore : AnalyticsFixture.writePreviousStore)
        let relay = harness.server.relay
        for pinned in Self.pinnedAnswers {
            let token = AnalyticsFixture.headToken(dealership: pinned.dealership, deal: pinned.deal)
            let json = try await relay.analyticsJSON(token, idleDays: pinned.idleDays, now: AnalyticsFixture.now)
            #expect(json == pinned.json, "dealership \(pinned.dealership), deal \(pinned.deal ?? "-"), idleDays \(pinned.idleDays)")
        }
        // The migration left every logged deal stale; now each row is current and by the definition.
        for dealership in ["north", "south"] {
            let stored = try await relay.storedAnalyticsRows(dealership: dealership)
            #expect(stored.allSatisfy { !$0.isStale })
            #expect(stored.map(\.row) == (try await relay.recomputedAnalyticsRows(dealership: dealership)))
            #expect(try await relay.storedAnalyticsTotals(dealership: dealership) == (try await relay.recomputedAnalyticsTotals(dealership: dealership)))
        }
        #expect(try await relay.storedAnalyticsRows().map(\.row.deal.rawValue).contains(AnalyticsFixture.emptyDeal) == false)
        // Computed once, from the documents: 7 north deals and 1 south.
        #expect(relay.metrics.analyticsRowsComputed.value == 8)
        // And the HTTP answer is the same report (at the relay's own now).
        let answer = try await harness.request("GET", "/v1/analytics", token: try harness.token("boss", .head))
        #expect(answer.status == 200 && answer.value("deals")?.int64Value == 7 && answer.value("cursor")?.int64Value == 18, "\(answer.text)")
        await harness.stop()
    }

    /// Pushes from buyer, sales and finance devices with clocks apart (so changes arrive out
    /// of author order), stage skips, channel switches and integration writes, in a seeded
    /// random order; then the stored rows must be the definition's, and so must the report.
    @Test(arguments: RepeatableRandom.seeds(pinned: [1, 2, 3, 4, 5], countVariable: "ANALYTICS_ROWS_SEEDS"))
    func storedRowsAreTheDefinitionsAfterRandomPushes(seed: UInt64) async throws {
        var random = RepeatableRandom(seed: seed)
        let harness = try SyncHarness()
        let start = Int64(Date().timeIntervalSince1970 * 1000)
        let people: [(String, Role, Channel)] = [
            ("ivan", .buyer, .web), ("ivan", .buyer, .kiosk), ("olga", .sales, .pc), ("olga", .sales, .phone), ("fedor", .finance, .tablet),
        ]
        var devices: [(device: TestDevice, role: Role)] = []
        for (user, role, channel) in people {
            // Up to 20 days behind, or 2 ahead; a minute passes with each edit.
            let clock = TestClock(start: start - Int64(random.int(-48..<480)) * 3_600_000)
            devices.append((try harness.device(user, role, channel: channel, clock: { clock.next() }), role))
        }
        let gateway = try harness.token("gateway", .integration)
        var created: [DealID] = []
        for step in 0..<60 {
            let (device, role) = random.pick(devices)
            switch random.int(0..<10) {
            case 0, 1:
                guard role != .finance else { continue }
                let deal = DealID("d-\(seed)-\(step)")!
                var values: [String: FieldValue] = ["vehicle.model": .text(random.pick(["Camry", "Vesta", "Niva"]))]
                if random.chance(50) { values["vehicle.trim"] = .text("Comfort") }
                if role == .sales && random.chance(50) { values["status.state"] = .enumCase(random.pick(["lead", "active"])) }
                _ = try await device.store.createDeal(id: deal, values: values)
                created.append(deal)
            case 2, 3, 4, 8:
                guard let deal = try await device.store.deals().map(\.id).sorted().randomElement(using: &random) else { continue }
                try? await Self.edit(deal, as: role, on: device, &random)
            case 5, 6:
                _ = try? await device.sync()
            case 7:
                guard let deal = created.randomElement(using: &random) else { continue }
                let body = random.chance(50) ? #"{"fields": {"payment.status": "captured"}}"# : #"{"fields": {"status.crmId": "CRM-\#(step)"}}"#
                let answer = try await harness.integrationPost("/v1/integration/deals/\(deal)", token: gateway, body)
                #expect(answer.status == 200 || answer.status == 404, "seed \(seed) step \(step): \(answer.text)")
            default:
                guard let deal = try await device.store.deals().map(\.id).sorted().randomElement(using: &random) else { continue }
                try? await Self.edit(deal, as: role, on: device, &random)
                _ = try? await device.sync()
            }
        }
        for _ in 0..<2 { for (device, _) in devices { try await device.sync() } }

        let relay = harness.server.relay
        let stored = try await relay.storedAnalyticsRows()
        #expect(stored.allSatisfy { !$0.isStale }, "seed \(seed): stale rows \(stored.filter(\.isStale).map(\.row.deal))")
        let recomputed = try await relay.recomputedAnalyticsRows()
        #expect(stored.map(\.row) == recomputed, "seed \(seed)")
        for (row, expected) in zip(stored.map(\.row), recomputed) where row != expected {
            Issue.record("seed \(seed): deal \(row.deal) stored \(String(describing: row.facts)), recomputed \(String(describing: expected.facts))")
        }
        #expect(try await relay.storedAnalyticsTotals() == (try await relay.recomputedAnalyticsTotals()), "seed \(seed)")
        let now = Date()
        let head = AnalyticsFixture.headToken()
        for days in [0, 7] {
            #expect(try await relay.analyticsJSON(head, idleDays: days, now: now) == (try await relay.recomputedAnalyticsJSON(idleDays: days, now: now)),
                    "seed \(seed), idleDays \(days)")
        }
        #expect(relay.metrics.analyticsRowsComputed.value == 0, "seed \(seed): every row was kept on commit")
        await harness.stop()
    }

    /// One edit a device of `role` may make (or not: a refused edit is skipped).
    private static func edit(_ deal: DealID, as role: Role, on device: TestDevice, _ random: inout RepeatableRandom) async throws {
        let store = device.store
        let rubles = FieldValue.money(minorUnits: Int64(random.int(1..<5_000)) * 100_000, currency: "RUB")
        switch (role, random.int(0..<5)) {
        case (.buyer, 0): try await store.set(deal, "vehicle.color", .text(random.pick(["white", "red", "blue"])))
        case (.buyer, 1): try await store.set(deal, "credit.downPayment", rubles)
        case (.buyer, 2): try await store.set(deal, "delivery.method", .enumCase(random.pick(["pickup", "home"])))
        case (.buyer, 3): try await store.skip(deal, random.pick([.tradeIn, .credit]), random.chance(70))
        case (.buyer, _): try await store.set(deal, "tradeIn.description", .text("Old Lada"))
        case (.sales, 0): try await store.set(deal, "vehicle.price", rubles)
        case (.sales, 1): try await store.set(deal, "status.state", .enumCase(random.pick(["lead", "active", "onHold", "won", "lost", "cancelled"])))
        case (.sales, 2): try await store.skip(deal, random.pick([.tradeIn, .credit, .insurance, .delivery]), random.chance(70))
        case (.sales, 3): try await store.set(deal, "staff.margin", rubles)
        case (.sales, _): try await store.set(deal, "vehicle.trim", .text(random.pick(["Comfort", "Prestige"])))
        case (_, 0), (_, 1): try await store.set(deal, "credit.amount", rubles)
        case (_, 2): try await store.set(deal, "credit.termMonths", .integer(Int64(random.pick([12, 24, 36]))))
        default: try await store.set(deal, "staff.scoring", .integer(Int64(random.int(300..<900))))
        }
    }

    @Test func aRefusedOrFailedPushLeavesTheRowsAsTheyWere() async throws {
        let harness = try SyncHarness()
        let relay = harness.server.relay
        let sales = try harness.device("olga", .sales, channel: .pc)
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        try await sales.sync()
        let before = try await relay.storedAnalyticsRows()
        let totalsBefore = try await relay.storedAnalyticsTotals()
        let now = Date()
        let head = AnalyticsFixture.headToken()
        let reportBefore = try await relay.analyticsJSON(head, now: now)
        #expect(before.count == 1 && before[0].row.facts?.state == nil)

        // A refused change (a buyer may not set the price) stores nothing of the deal's facts.
        _ = try await buyer.store.forgeForTest(deal) { tx in try tx.put(.root, "vehicle.price", .int(1)) }
        try await buyer.sync()
        #expect(try await relay.storedAnalyticsRows().map(\.row) == before.map(\.row))

        // A push whose commit fails when it writes the rows stores nothing at all: not its log
        // entry either, since the rows go in the same transaction.
        try await sales.store.set(deal, "status.state", .enumCase("won"))
        let logged = try await harness.loggedChanges(deal.rawValue)
        try await relay.executeOnStore("""
            CREATE TRIGGER refuse_rows BEFORE UPDATE ON deal_analytics BEGIN SELECT RAISE(ABORT, 'the disk says no'); END
            """)
        let push = try await sales.store.outbox().map { PushedChange(deal: deal, document: $0.ref.document, change: $0.blob) }
        let failed = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!,
                                               body: String(decoding: try JSONEncoder().encode(SyncRequest(cursor: 1, push: push)), as: UTF8.self))
        #expect(failed.status == 503, "\(failed.text)")
        #expect(try await harness.loggedChanges(deal.rawValue) == logged)
        #expect(try await relay.storedAnalyticsRows().map(\.row) == before.map(\.row))
        #expect(try await relay.storedAnalyticsTotals() == totalsBefore)

        // A push whose quarantine insert fails (before the log and the rows) stores nothing either.
        try await relay.executeOnStore("DROP TRIGGER refuse_rows")
        try await relay.executeOnStore("""
            CREATE TRIGGER refuse_quarantine BEFORE INSERT ON quarantine BEGIN SELECT RAISE(ABORT, 'the disk says no'); END
            """)
        let client = HandMadeClient(harness, device: sales)
        // Only the appraiser values a trade-in: this one is refused and quarantined.
        let forged = try Document(replica: .random()).change(metadata: client.metadata) { try $0.put(.root, "tradeIn.appraisedValue", .int(1)) }!
        let mixed = push + [PushedChange(deal: deal, document: .shared, change: forged.encoded())]
        let failedAgain = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!,
                                                    body: String(decoding: try JSONEncoder().encode(SyncRequest(cursor: 1, push: mixed)), as: UTF8.self))
        #expect(failedAgain.status == 503, "\(failedAgain.text)")
        #expect(try await relay.storedAnalyticsRows().map(\.row) == before.map(\.row))
        // (The group commit marks a failed push's deals stale, to be computed again: the
        // report does so, and finds what was there.)
        #expect(try await relay.analyticsJSON(head, now: now) == reportBefore)
        #expect(try await relay.storedAnalyticsTotals() == totalsBefore)

        // Once the store is well again, the same edit goes through with its row.
        try await relay.executeOnStore("DROP TRIGGER refuse_quarantine")
        try await sales.sync()
        let after = try await relay.storedAnalyticsRows()
        #expect(after.map(\.row.facts?.state) == ["won"])
        #expect(after.map(\.row) == (try await relay.recomputedAnalyticsRows()))
        #expect(try await relay.storedAnalyticsTotals() == (try await relay.recomputedAnalyticsTotals()))
        await harness.stop()
    }

    @Test func theAnswerIsTheSameAfterARestart() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let phone = try harness.device("olga", .sales, channel: .phone)
        for index in 0..<5 {
            let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Camry \(index)")])
            try await sales.store.skip(deal, .tradeIn)
        }
        try await sales.sync()
        try await phone.sync()
        for deal in try await phone.store.deals().map(\.id).prefix(2) { try await phone.store.set(deal, "status.state", .enumCase("won")) }
        try await phone.sync()
        let gateway = try harness.token("gateway", .integration)
        let created = try await harness.integrationPost("/v1/integration/deals", token: gateway, #"{"fields": {"payment.status": "pending"}}"#)
        #expect(created.status == 200, "\(created.text)")

        let head = AnalyticsFixture.headToken()
        let now = Date()
        let before = try await harness.server.relay.analyticsJSON(head, now: now)
        #expect(before == (try await harness.server.relay.recomputedAnalyticsJSON(now: now)))
        try await harness.restartRelay()
        let after = try await harness.server.relay.analyticsJSON(head, now: now)
        #expect(after == before)
        #expect(harness.server.relay.metrics.analyticsRowsComputed.value == 0, "the rows were kept, not computed again")
        await harness.stop()
    }

    @Test func anotherSchemaComputesEveryRowAgain() async throws {
        let first = try SyncHarness(prepareRelayData: AnalyticsFixture.writePreviousStore)
        let head = AnalyticsFixture.headToken()
        #expect(try await first.server.relay.analyticsJSON(head, now: AnalyticsFixture.now) == Self.pinnedAnswers[0].json)
        await first.stop()
        // One more required field: every deal is less complete than before.
        let schema = try DealSchema(name: "default", fields: DealSchema.standard.fields + [
            FieldSpec("vehicle.engine", .text, stage: .vehicle, writers: [.sales], required: true, title: "Engine"),
        ])
        let second = try SyncHarness(schema: schema) { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let source = first.folder.file("relay")
            for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasPrefix(SQLiteRelayStorage.fileName) {
                try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory + "/" + name)
            }
        }
        let relay = second.server.relay
        let json = try await relay.analyticsJSON(head, now: AnalyticsFixture.now)
        #expect(json == (try await relay.recomputedAnalyticsJSON(now: AnalyticsFixture.now)))
        #expect(json != Self.pinnedAnswers[0].json)
        #expect(try await relay.storedAnalyticsRows().map(\.row) == (try await relay.recomputedAnalyticsRows()))
        await second.stop()
    }

    @Test func aShowroomRelayKeepsRowsForWhatItGetsFromUpstream() async throws {
        let group = try SyncHarness()
        let relayToken = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let showroom = try SyncHarness(upstream: UpstreamConfiguration(url: URL(string: group.url)!, token: relayToken, pollSeconds: 1))
        let headOffice = try group.device("boris", .sales, channel: .pc)
        let kiosk = try showroom.device("ivan", .buyer, channel: .kiosk)
        for index in 0..<3 {
            let deal = try await headOffice.store.createDeal(values: ["vehicle.model": .text("Camry \(index)")])
            try await headOffice.store.set(deal, "status.state", .enumCase(index == 0 ? "won" : "active"))
        }
        try await headOffice.sync()
        let walkIn = try await kiosk.store.createDeal(values: ["vehicle.model": .text("Vesta")])
        try await kiosk.store.skip(walkIn, .tradeIn)
        try await kiosk.sync()

        // Both relays come to hold the same four deals; each keeps its rows as they arrive.
        let head = AnalyticsFixture.headToken()
        let now = Date()
        func withoutCursor(_ json: String) -> String { json.replacing(/"cursor":\d+/, with: "") }
        let deadline = ContinuousClock.now + .seconds(20)
        var groupJSON = ""
        var showroomJSON = ""
        while ContinuousClock.now < deadline {
            try await headOffice.sync()
            groupJSON = withoutCursor(try await group.server.relay.analyticsJSON(head, now: now))
            showroomJSON = withoutCursor(try await showroom.server.relay.analyticsJSON(head, now: now))
            if groupJSON == showroomJSON && groupJSON.contains(#""deals":4"#) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(groupJSON == showroomJSON && groupJSON.contains(#""deals":4"#), "group \(groupJSON)\nshowroom \(showroomJSON)")
        for relay in [group.server.relay, showroom.server.relay] {
            let stored = try await relay.storedAnalyticsRows()
            #expect(stored.allSatisfy { !$0.isStale })
            #expect(stored.map(\.row) == (try await relay.recomputedAnalyticsRows()))
            #expect(try await relay.storedAnalyticsTotals() == (try await relay.recomputedAnalyticsTotals()))
            #expect(relay.metrics.analyticsRowsComputed.value == 0)
        }
        await showroom.stop()
        await group.stop()
    }
}

/// A device clock that moves a minute on with each reading, from `start`.
final class TestClock: Sendable {
    private let start: Int64
    private let readings = Atomic<Int64>(0)

    init(start: Int64) { self.start = start }

    func next() -> Int64 { start + readings.add(1, ordering: .relaxed).newValue * 60_000 }
}
