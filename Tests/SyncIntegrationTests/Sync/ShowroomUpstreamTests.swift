@testable import DealCardKit
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import Testing
import TestSupport

/// A showroom relay syncs with its group relay as a device does (`SyncRound`): a first sync
/// over several pages, a group relay whose data was replaced, answers it cannot read,
/// refusals, and its positions kept in its store across restarts and upgrades.
@Suite("A showroom relay's upstream", .serialized)
struct ShowroomUpstreamTests {
    /// A group relay with a relay token for the showroom, head office's device, and `count`
    /// deals (`d-1`, `d-2`, …) made there and synced.
    private func groupWithDeals(_ count: Int) async throws -> (group: SyncHarness, relayToken: String, headOffice: TestDevice, deals: [DealID]) {
        let group = try SyncHarness()
        let relayToken = try group.token("showroom-1", .head, device: "showroom-1", relay: true)
        let headOffice = try group.device("boris", .sales, channel: .pc)
        var deals: [DealID] = []
        for number in stride(from: 1, through: count, by: 1) {
            deals.append(try await headOffice.store.createDeal(id: DealID("d-\(number)"), values: ["vehicle.model": .text("Model \(number)")]))
        }
        try await headOffice.sync()
        return (group, relayToken, headOffice, deals)
    }

    private func upstream(_ group: SyncHarness, _ token: String, pageLimit: Int? = nil) -> UpstreamConfiguration {
        UpstreamConfiguration(url: URL(string: group.url)!, token: token, pollSeconds: 1, pageLimit: pageLimit)
    }

    /// The showroom's stored position with `group`.
    private func position(_ showroom: SyncHarness, _ group: SyncHarness) async throws -> UpstreamPosition? {
        try await showroom.server.relay.storedUpstreamPosition(URL(string: group.url)!.absoluteString)
    }

    @Test func aFirstSyncOverSeveralPagesCompletes() async throws {
        let (group, relayToken, headOffice, deals) = try await groupWithDeals(3)
        // Two documents at most per answer: the group's three deals take two or three pages.
        let showroom = try SyncHarness(upstream: upstream(group, relayToken, pageLimit: 2))
        let olga = try showroom.device("olga", .sales, channel: .pc)

        let allThere = try await waitUntil {
            try await showroom.server.relay.storedDealIDs() == deals.map(\.rawValue)
        }
        let got = try await showroom.server.relay.storedDealIDs()
        #expect(allThere, "the showroom never got past the first page: it has \(got)")
        let latest = try await group.server.relay.storedLatestPosition()
        #expect(try await waitUntil { try await position(showroom, group)?.cursor == latest })
        #expect(try await position(showroom, group)?.firstSyncPage == nil)
        try await olga.sync()
        for (number, deal) in deals.enumerated() {
            #expect(try await olga.card(deal).values["vehicle.model"] == .text("Model \(number + 1)"))
        }

        // And it goes on from there: a later edit at head office reaches the showroom.
        try await headOffice.store.set(deals[2], "vehicle.color", .text("white"))
        try await headOffice.sync()
        #expect(try await waitUntil {
            try await olga.sync()
            return try await olga.card(deals[2]).values["vehicle.color"] == .text("white")
        })
        await showroom.stop()
        await group.stop()
    }

    @Test func aReplacedGroupRelayMakesTheShowroomSyncAgainFromZero() async throws {
        let (group, relayToken, headOffice, _) = try await groupWithDeals(0)
        // The group relay's backup, taken before any deal.
        let backup = group.folder.file("backup")
        try await group.restartRelay { try FileManager.default.copyItem(atPath: $0, toPath: backup) }
        let recorder = RelayLogRecorder()
        let showroom = try SyncHarness(upstream: upstream(group, relayToken), log: recorder.log)
        let olga = try showroom.device("olga", .sales, channel: .pc)
        var before: [DealID] = []
        for number in 1...3 {
            before.append(try await headOffice.store.createDeal(id: DealID("d-\(number)"), values: ["vehicle.model": .text("Before")]))
        }
        try await headOffice.sync()
        let latest = try await group.server.relay.storedLatestPosition()
        #expect(try await waitUntil { try await position(showroom, group)?.cursor == latest })

        // The group relay is restored from the backup: its log is empty again, shorter than
        // the showroom's cursor.
        try await group.restartRelay { folder in
            try FileManager.default.removeItem(atPath: folder)
            try FileManager.default.copyItem(atPath: backup, toPath: folder)
        }
        #expect(try await waitUntil { !recorder.lines("upstream_cursor_reset").isEmpty }, "the showroom never noticed the replaced relay")

        // A deal made on the restored relay reaches the showroom's devices (it pulls from 0),
        // and the showroom pushes its log again, so the group relay gets back what it lost.
        let zoe = try group.device("zoe", .sales, channel: .pc)
        let after = try await zoe.store.createDeal(id: DealID("d-after"), values: ["vehicle.model": .text("After")])
        try await zoe.sync()
        #expect(try await waitUntil {
            try await olga.sync()
            return (try? await olga.card(after).values["vehicle.model"]) == .text("After")
        }, "the showroom did not pull the restored relay's log from 0")
        #expect(try await waitUntil {
            try await zoe.sync()
            return try await zoe.store.dealIDs().count == 4
        }, "the showroom did not push its log to the restored relay again")
        for deal in before {
            #expect(try await zoe.card(deal).values["vehicle.model"] == .text("Before"))
        }
        await showroom.stop()
        await group.stop()
    }

    @Test(arguments: [
        (blob: "not base64!", says: "is not base64"),
        (blob: Data([0, 1, 2]).base64EncodedString(), says: "change at 1"),
    ])
    func anUnreadableBlobFromUpstreamIsAnErrorThatIsLogged(blob: String, says: String) async throws {
        var change = LoggedChange(cursor: 1, deal: DealID("d-bad")!, document: .shared, change: [])
        change.change = blob
        let fake = try FakeUpstream(answer: SyncResponse(accepted: [], refused: [], snapshots: [], changes: [change], cursor: 1, more: false))
        let recorder = RelayLogRecorder()
        let showroom = try SyncHarness(upstream: UpstreamConfiguration(url: URL(string: fake.url)!, token: "any", pollSeconds: 1),
                                       log: recorder.log)

        #expect(try await waitUntil { recorder.lines("upstream_pull_failed").contains { $0.contains(says) } },
                "no error logged: \(recorder.lines("upstream_pull_failed"))")
        // Nothing of the answer was taken: no deal, no log entry, and the cursor stays where it was.
        #expect(try await showroom.server.relay.storedDealIDs().isEmpty)
        #expect(try await showroom.server.relay.storedLatestPosition() == 0)
        let position = try await showroom.server.relay.storedUpstreamPosition(URL(string: fake.url)!.absoluteString)
        #expect((position?.cursor ?? 0) == 0)
        await showroom.stop()
        await fake.stop()
    }

    @Test func positionsSurviveARestart() async throws {
        let (group, relayToken, _, deals) = try await groupWithDeals(2)
        let showroom = try SyncHarness(upstream: upstream(group, relayToken))
        let olga = try showroom.device("olga", .sales, channel: .pc)
        let local = try await olga.store.createDeal(id: DealID("d-showroom"))
        try await olga.sync()
        // Wait until both positions have caught up: everything pulled, everything pushed.
        #expect(try await waitUntil {
            let latest = try await group.server.relay.storedLatestPosition()
            let ownLatest = try await showroom.server.relay.storedLatestPosition()
            let position = try await position(showroom, group)
            return position?.cursor == latest && position?.pushedThrough == ownLatest
        })
        #expect(try await group.server.relay.storedDealIDs() == (deals + [local]).map(\.rawValue))
        let before = try #require(try await position(showroom, group))
        #expect(before.cursor > 0 && before.pushedThrough > 0)

        try await showroom.restartRelay()
        #expect(try await position(showroom, group) == before)
        await showroom.stop()
        await group.stop()
    }

    @Test func anOldUpstreamFileIsMovedIntoTheStore() async throws {
        let (group, relayToken, headOffice, deals) = try await groupWithDeals(3)
        let latest = try await group.server.relay.storedLatestPosition()
        let recorder = RelayLogRecorder()
        // A showroom upgraded from a build that kept its positions in `upstream.json`: it had
        // pulled the group's whole log and pushed its own up to entry 50.
        let showroom = try SyncHarness(upstream: upstream(group, relayToken), log: recorder.log) { folder in
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data(#"{"pullCursor":\#(latest),"pushedThrough":50}"#.utf8).write(to: URL(fileURLWithPath: folder + "/upstream.json"))
        }

        // It goes on from the file's cursor: a new deal arrives, the three before it are not
        // pulled again (the old showroom had them).
        let fresh = try await headOffice.store.createDeal(id: DealID("d-fresh"))
        try await headOffice.sync()
        #expect(try await waitUntil { try await showroom.server.relay.storedDealIDs() == [fresh.rawValue] })
        #expect(try await !showroom.server.relay.storedDealIDs().contains(deals[0].rawValue))
        #expect(!FileManager.default.fileExists(atPath: showroom.folder.file("relay/upstream.json")))
        #expect(try await position(showroom, group)?.pushedThrough == 50)
        #expect(recorder.lines("upstream_state_moved").count == 1)
        await showroom.stop()
        await group.stop()
    }

    @Test func aChangeRefusedUpstreamIsQuarantinedWithAnAlertAndNotPushedAgain() async throws {
        let (group, relayToken, _, _) = try await groupWithDeals(0)
        // The showroom's schema knows a field the group's does not.
        let schema = try DealSchema(extending: .standard, file: Array(#"""
            {"version": 1, "name": "showroom",
             "fields": [{"path": "vehicle.warrantyYears", "type": "integer", "stage": "vehicle", "writers": ["sales"]}]}
            """#.utf8))
        let recorder = RelayLogRecorder()
        let showroom = try SyncHarness(upstream: upstream(group, relayToken), log: recorder.log, schema: schema)
        let olga = try showroom.device("olga", .sales, channel: .pc)
        let deal = try await olga.store.createDeal(id: DealID("d-warranty"))
        try await olga.sync()
        #expect(try await waitUntil { try await group.server.relay.storedDealIDs() == [deal.rawValue] })
        _ = try await olga.store.forgeForTest(deal) { tx in try tx.put(.root, "vehicle.warrantyYears", .int(3)) }
        try await olga.sync()

        #expect(try await waitUntil { !recorder.lines("upstream_refused").isEmpty }, "no alert for the refusal")
        let quarantined = try await showroom.server.relay.storedQuarantine()
        #expect(quarantined.contains { $0.entry.deal == deal && $0.entry.reason.hasPrefix("refused upstream: ") && !$0.entry.blob.isEmpty })
        // The push goes past it: another device's new deal gets upstream, the refusal is not sent again.
        let kiosk = try showroom.device("ivan", .buyer, channel: .kiosk)
        let other = try await kiosk.store.createDeal(id: DealID("d-kiosk"))
        try await kiosk.sync()
        #expect(try await waitUntil { try await group.server.relay.storedDealIDs().contains(other.rawValue) })
        let ownLatest = try await showroom.server.relay.storedLatestPosition()
        #expect(try await waitUntil { try await position(showroom, group)?.pushedThrough == ownLatest })
        #expect(recorder.lines("upstream_refused").count == 1)
        await showroom.stop()
        await group.stop()
    }
}
