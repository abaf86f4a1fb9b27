@testable import RelayClient
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import CRDT
import DealCardKit
import Foundation
import RelayTestSupport
import Testing

/// Compaction on a real relay (protocol-spec/sync.md, "Compaction"): old log entries become
/// each document's base; devices past the horizon carry on; a device behind it is told to
/// sync again, takes the compacted document and re-makes its offline edits on top; nothing
/// acknowledged or made offline is lost, across a relay restart too.
@Suite("Compaction through a real relay", .serialized)
struct CompactionTests {
    /// Everything received so far.
    private static func compactAll(_ harness: SyncHarness) async throws -> CompactionReport {
        try await harness.server.relay.compact(receivedBefore: Date().addingTimeInterval(60))
    }

    /// Compacted by the serving relay itself, or by `sync-server compact` in another process
    /// while the relay serves (it must notice and let go of the documents it holds).
    @Test(arguments: [false, true])
    func aDeviceBehindTheHorizonResyncsAndKeepsItsOfflineEdit(byAnotherProcess: Bool) async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let appraiser = try harness.device("petr", .appraiser, channel: .tablet)
        let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await sales.store.set(deal, "vehicle.price", parsing: "2 330 000")
        try await sales.sync()
        try await appraiser.sync()
        // The appraiser goes offline and edits; the salesman goes on and syncs.
        try await appraiser.store.set(deal, "tradeIn.appraisedValue", parsing: "610 000")
        try await sales.store.set(deal, "vehicle.price", parsing: "2 290 000")
        try await sales.store.set(deal, "staff.notes", .text("Offer winter tyres"))
        try await sales.sync()

        let report: CompactionReport
        if byAnotherProcess {
            report = try await CompactionCommand.run(dataDirectory: harness.folder.file("relay"), receivedBefore: Date().addingTimeInterval(60))
        } else {
            report = try await Self.compactAll(harness)
        }
        #expect(report.documents == 2, "\(report)")
        #expect(report.entriesRemoved > 0 && report.skipped.isEmpty, "\(report)")
        #expect(report.bytesAfter > 0)

        // Behind the horizon, at once (nothing changed since the stored first-sync snapshots
        // were written): told to sync again; the offline appraisal is re-made and pushed.
        let resync = try await appraiser.sync()
        #expect(resync.accepted == 1 && resync.refused.isEmpty, "\(resync)")
        #expect(try await appraiser.store.outboxCount() == 0)
        let quarantined = try await appraiser.store.quarantined()
        #expect(quarantined.isEmpty, "\(quarantined)")
        // Past the horizon: the salesman carries on as before.
        try await sales.store.set(deal, "vehicle.trim", .text("Prestige"))
        try await sales.sync()
        try await appraiser.sync()
        let salesCard = try await sales.card(deal)
        let appraiserCard = try await appraiser.card(deal)
        #expect(salesCard == appraiserCard)
        #expect(salesCard.values["tradeIn.appraisedValue"] == .money(minorUnits: 61_000_000, currency: "RUB"))
        #expect(salesCard.values["vehicle.price"] == .money(minorUnits: 229_000_000, currency: "RUB"))
        #expect(salesCard.values["vehicle.trim"] == .text("Prestige"))

        // A new device's first sync, and every device after a relay restart (loading the bases).
        let head = try harness.device("boss", .head, channel: .pc)
        try await head.sync()
        let headCard = try await head.card(deal)
        #expect(headCard == salesCard, "\(headCard.stages) \(salesCard.stages) \(headCard.values) \(salesCard.values) \(headCard.conflicts) \(salesCard.conflicts)")
        try await harness.restartRelay()
        try await sales.store.set(deal, "vehicle.color", .text("white"))
        try await sales.sync()
        try await appraiser.sync()
        try await head.sync()
        let after = try await sales.card(deal)
        #expect(try await appraiser.card(deal) == after)
        #expect(try await head.card(deal) == after)
        #expect(after.values["vehicle.color"] == .text("white"))
        await harness.stop()
    }

    @Test func aRawRequestWithACursorBehindTheHorizonIs409HistoryCompacted() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await sales.sync()
        try await sales.store.set(deal, "vehicle.trim", .text("Prestige"))
        try await sales.sync()
        let report = try await Self.compactAll(harness)
        #expect(report.through.rawValue >= 2)
        let body = #"{"protocol":1,"cursor":1,"push":[],"wait":0}"#
        let answer = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!, body: body)
        #expect(answer.status == 409, "\(answer.status) \(answer.text)")
        #expect(answer.text.contains("history_compacted"), "\(answer.text)")
        // At the compacted position itself, nothing is missing: an ordinary answer.
        let current = #"{"protocol":1,"cursor":\#(report.through.rawValue),"push":[],"wait":0}"#
        let fine = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!, body: current)
        #expect(fine.status == 200, "\(fine.status) \(fine.text)")
        await harness.stop()
    }

    @Test func compactingTwiceAndAppendingAfterKeepsEveryChange() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Camry")])
        for price in ["2 100 000", "2 200 000"] {
            try await sales.store.set(deal, "vehicle.price", parsing: price)
            try await sales.sync()
            _ = try await Self.compactAll(harness)
        }
        // The next change of the same replica after two compactions: the store knows its seq.
        try await sales.store.set(deal, "vehicle.price", parsing: "2 300 000")
        let round = try await sales.sync()
        #expect(round.refused.isEmpty, "\(round.refused)")
        let again = try await Self.compactAll(harness)
        #expect(again.documents == 1)
        let storage = try SQLiteRelayStorage(directory: harness.folder.file("relay"), create: false, exclusive: false)
        let base = try #require(try storage.documentBase(dealership: "north", deal: deal, document: .shared))
        storage.close()
        #expect(try Document(snapshot: base.snapshot).horizon.seqs == base.horizon)
        #expect(base.horizon[sales.store.identity.replica] == 4, "two puts and the creation's two changes? \(base.horizon)")
        let fresh = try harness.device("boss", .head, channel: .pc)
        try await fresh.sync()
        #expect(try await fresh.card(deal).values["vehicle.price"] == .money(minorUnits: 230_000_000, currency: "RUB"))
        await harness.stop()
    }
}
