import CRDT
import DealCardKit
import Foundation
import RelayClient
import RelayTestSupport
@testable import SyncCore
import SyncProtocol
import SyncServer
import Testing
import TestSupport

/// Open deals first: a first sync brings the open deals and those closed within its window;
/// an older deal comes when fetched, or by itself once someone changes it, and then syncs.
@Suite("Archived deals", .serialized)
struct ArchivedDealTests {
    static let day: Int64 = 86_400_000

    /// A store clock `days` days in the past, so that its changes look that old.
    static func clock(daysAgo days: Int64) -> @Sendable () -> Int64 {
        { DeviceStore.now() - days * ArchivedDealTests.day }
    }

    /// The deals of the fixture: made by a salesperson on devices whose clocks lag.
    struct Deals {
        /// Active, last changed 60 days ago: open, so always sent.
        var oldOpen: DealID
        /// Won 60 days ago, lost 40 days ago: archived with the default window.
        var oldWon: DealID
        var oldLost: DealID
        /// Won 5 days ago: inside the window.
        var recentWon: DealID
    }

    static func makeDeals(_ harness: SyncHarness) async throws -> Deals {
        func deal(_ state: String, daysAgo: Int64) async throws -> DealID {
            let device = try harness.device("sales", .sales, channel: .pc, clock: clock(daysAgo: daysAgo))
            let id = try await device.store.createDeal(values: [
                "vehicle.model": .text("Car \(state) \(daysAgo)"), "status.state": .enumCase(state),
            ])
            try await device.session.sync()
            await device.store.close()
            return id
        }
        return Deals(oldOpen: try await deal("active", daysAgo: 60), oldWon: try await deal("won", daysAgo: 60),
                     oldLost: try await deal("lost", daysAgo: 40), recentWon: try await deal("won", daysAgo: 5))
    }

    @Test func aFirstSyncLeavesOutDealsClosedBeforeItsWindowAndSaysHowMany() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let fresh = try harness.device("olga", .sales, channel: .tablet)
        let report = try await fresh.session.sync()
        #expect(Set(try await fresh.store.deals().map(\.id)) == [deals.oldOpen, deals.recentWon])
        #expect(report.closedDealDays == 30 && report.archivedDeals == 2, "\(report)")
        let relay = harness.url
        #expect(try await fresh.store.firstSyncWindow(relay: relay) == .init(closedDealDays: 30, archivedDeals: 2))

        // A wider window asked for by the device brings them all; a window of 0 days keeps
        // only the open deals.
        let wide = try harness.device("olga", .sales, channel: .phone)
        await wide.session.setClosedDealDays(90)
        #expect(try await wide.session.sync().archivedDeals == 0)
        #expect(Set(try await wide.store.deals().map(\.id)) == [deals.oldOpen, deals.oldWon, deals.oldLost, deals.recentWon])
        let narrow = try harness.device("olga", .sales, channel: .kiosk)
        await narrow.session.setClosedDealDays(0)
        #expect(try await narrow.session.sync().archivedDeals == 3)
        #expect(Set(try await narrow.store.deals().map(\.id)) == [deals.oldOpen])
        for device in [fresh, wide, narrow] { await device.store.close() }
        await harness.stop()
    }

    @Test func anArchivedDealIsFetchedOnDemandAndThenStaysSynced() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let fresh = try harness.device("olga", .sales, channel: .tablet)
        try await fresh.session.sync()
        #expect(try await fresh.store.holdsHistory(of: deals.oldWon) == false)

        #expect(try await fresh.session.fetchDeal(deals.oldWon) == .fetched)
        #expect(try await fresh.store.card(deals.oldWon).values["status.state"] == .enumCase("won"))
        #expect(try await fresh.store.dealsToFetch().isEmpty)
        #expect(try await fresh.session.fetchDeal(deals.oldWon) == .alreadyHere)

        // Changed elsewhere afterwards: the change comes with the next sync, like any deal's.
        let editor = try harness.device("sales", .sales, channel: .pc)
        try await editor.session.sync()
        #expect(try await editor.session.fetchDeal(deals.oldWon) == .fetched)
        try await editor.store.set(deals.oldWon, "vehicle.model", .text("Renamed"))
        try await editor.session.sync()
        try await fresh.session.sync()
        #expect(try await fresh.store.card(deals.oldWon).values["vehicle.model"] == .text("Renamed"))
        #expect(try await fresh.store.card(deals.oldWon) == editor.store.card(deals.oldWon))

        // An id the relay has no deal under, for this token, is said so, and not asked again.
        #expect(try await fresh.session.fetchDeal(DealID("d-nosuchdeal1")!) == .unknown)
        #expect(try await fresh.store.dealsToFetch().isEmpty)
        for device in [fresh, editor] { await device.store.close() }
        await harness.stop()
    }

    @Test func aBuyerCannotFetchAnotherBuyersDeal() async throws {
        let harness = try SyncHarness()
        let anna = try harness.device("anna", .buyer, channel: .web)
        let hers = try await anna.store.createDeal(values: ["vehicle.model": .text("Hers")])
        try await anna.session.sync()
        let boris = try harness.device("boris", .buyer, channel: .web)
        try await boris.session.sync()
        #expect(try await boris.session.fetchDeal(hers) == .unknown)
        #expect(try await boris.store.holdsHistory(of: hers) == false)
        for device in [anna, boris] { await device.store.close() }
        await harness.stop()
    }

    /// Someone changes a deal the device's first sync left out: the change arrives with no
    /// history under it, so the device fetches the deal by itself in the same sync.
    @Test func aClosedDealChangedAgainComesBackByItself() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let fresh = try harness.device("olga", .sales, channel: .tablet)
        try await fresh.session.sync()
        #expect(try await fresh.store.holdsHistory(of: deals.oldLost) == false)

        let editor = try harness.device("sales", .sales, channel: .pc)
        await editor.session.setClosedDealDays(365)
        try await editor.session.sync()
        try await editor.store.set(deals.oldLost, "status.state", .enumCase("active"))
        try await editor.session.sync()

        let report = try await fresh.session.sync()
        #expect(report.fetched == [deals.oldLost], "\(report)")
        #expect(try await fresh.store.card(deals.oldLost) == editor.store.card(deals.oldLost))
        #expect(try await fresh.store.card(deals.oldLost).values["status.state"] == .enumCase("active"))
        #expect(try await fresh.store.dealsToFetch().isEmpty)
        for device in [fresh, editor] { await device.store.close() }
        await harness.stop()
    }

    /// A relay syncing from this one (a relay token) gets every deal, window or not.
    @Test func aRelayTokensFirstSyncGetsEveryDeal() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let token = try TokenCommands.issue(.init(dataDirectory: harness.folder.file("relay"), user: "showroom", role: "sales",
                                                  dealership: "north", relay: true)).secret.text
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: token)
        let answer: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: .start, push: []))
        #expect(Set(answer.snapshots.map(\.deal)) == [deals.oldOpen, deals.oldWon, deals.oldLost, deals.recentWon])
        #expect(answer.closedDealDays == nil && answer.archivedDeals == nil)
        await harness.stop()
    }

    @Test func windowAndFetchFieldsAreValidated() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let token = try harness.token("olga", .sales, device: "olga-pc")
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: token)
        func status(_ request: SyncRequest) async -> Int? {
            do {
                let _: SyncResponse = try await connection.post("v1/sync", request)
                return 200
            } catch {
                if case .relay(let status, _, _) = error { return status }
                return nil
            }
        }
        var request = SyncRequest(cursor: .start, push: [])
        request.closedDealDays = -1
        #expect(await status(request) == 400)
        request.closedDealDays = 36_501
        #expect(await status(request) == 400)
        request.closedDealDays = nil
        request.fetch = [deals.oldWon]
        #expect(await status(request) == 400, "fetch on a first sync")
        request = SyncRequest(cursor: LogPosition(1), push: [])
        request.closedDealDays = 30
        #expect(await status(request) == 400, "a window on a later sync")
        request.closedDealDays = nil
        request.fetch = (0...SyncRequest.maxFetch).map { DealID("d-fetch\($0)")! }
        #expect(await status(request) == 400, "too many deals to fetch")
        request.fetch = [deals.oldWon, DealID("d-nosuchdeal1")!]
        let answer: SyncResponse = try await connection.post("v1/sync", request)
        #expect(Set(answer.snapshots.map(\.deal)) == [deals.oldWon])
        #expect(answer.unknownDeals == [DealID("d-nosuchdeal1")!])
        await harness.stop()
    }

    /// A first sync's later page with nothing to send (the deals after it archived) is
    /// answered at once, with the window asked for; a bare first sync that waits keeps its
    /// window when its wait ends.
    @Test func aFirstSyncWithNothingMoreToSendKeepsItsWindow() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let token = try harness.token("olga", .sales, device: "olga-pc")
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: token)
        var request = SyncRequest(cursor: .start, push: [], wait: 30)
        request.closedDealDays = 0
        let first: SyncResponse = try await connection.post("v1/sync", request, timeout: 10)
        #expect(first.snapshots.map(\.deal) == [deals.oldOpen] && first.closedDealDays == 0 && first.archivedDeals == 3, "\(first)")
        request.snapshotsAfter = deals.oldOpen
        request.bootstrapCursor = first.cursor
        // Held, it would outlast the 10 s timeout (wait 30).
        let after: SyncResponse = try await connection.post("v1/sync", request, timeout: 10)
        #expect(after.snapshots.isEmpty && after.closedDealDays == 0 && after.archivedDeals == 3 && after.cursor == first.cursor, "\(after)")

        // A buyer with no deal yet: the bare first sync waits, and answers with its window.
        let buyer = RelayConnection(baseURL: URL(string: harness.url)!, token: try harness.token("nina", .buyer, device: "nina-web"))
        var waiting = SyncRequest(cursor: .start, push: [], wait: 1)
        waiting.closedDealDays = 7
        let waited: SyncResponse = try await buyer.post("v1/sync", waiting, timeout: 10)
        #expect(waited.snapshots.isEmpty && waited.closedDealDays == 7 && waited.archivedDeals == 0, "\(waited)")
        await harness.stop()
    }

    /// A fetch asked for offline is kept in the store and finished by a later sync.
    @Test func aFetchAskedForSurvivesARestartOfTheDevice() async throws {
        let harness = try SyncHarness()
        let deals = try await Self.makeDeals(harness)
        let fresh = try harness.device("olga", .sales, channel: .tablet)
        try await fresh.session.sync()
        try await fresh.store.requestFetch(deals.oldWon)
        let folder = fresh.store.folder
        await fresh.store.close()
        let reopened = try DeviceStore(openingAt: folder)
        #expect(try await reopened.dealsToFetch() == [deals.oldWon])
        let session = SyncSession(store: reopened, connection: RelayConnection(baseURL: URL(string: harness.url)!,
                                                                             token: reopened.identity.token!))
        #expect(try await session.sync().fetched == [deals.oldWon])
        #expect(try await reopened.holdsHistory(of: deals.oldWon))
        await reopened.close()
        await harness.stop()
    }
}
