@testable import CRDT
@testable import DealCardKit
@testable import RelayClient
@testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import SQLiteKit
import Testing
import TestSupport

/// First syncs served from the snapshots the relay stores (`document_snapshot`): the bytes a
/// device writes, never a change set aside, nothing lost between pages, across restarts and
/// from a store that predates the table; and without loading documents.
@Suite("First syncs from stored snapshots", .serialized)
struct StoredSnapshotTests {
    // MARK: Through a real relay

    @Test func aFirstSyncServesTheSnapshotsADeviceThatAppliedTheSameChangesEncodes() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        var deals: [DealID] = []
        for model in ["Camry", "RAV4", "Niva"] { deals.append(try await buyer.store.createDeal(values: ["vehicle.model": .text(model)])) }
        try await buyer.sync()
        try await sales.sync()
        try await sales.store.set(deals[0], "vehicle.price", parsing: "2 330 000")
        try await sales.store.set(deals[0], "staff.margin", parsing: "120 000")
        try await sales.store.set(deals[1], "staff.notes", .text("Offer winter tyres"))
        try await sales.store.addRecord(deals[1], "staff.benefitsMenu", ["title": .text("Free tinting")])
        try await sales.sync()
        try await buyer.store.post(deals[0], "Can I bring my old car?")
        try await buyer.sync()
        // An integration write is stored without a snapshot: the first sync builds that one.
        let crm = try harness.token("crm", .integration, device: "crm-1")
        let written = try await harness.integrationPost("/v1/integration/deals/\(deals[2])", token: crm, #"{"fields": {"payment.status": "captured"}}"#)
        #expect(written.status == 200, "\(written.text)")
        try await sales.sync()

        let relay = harness.server.relay
        let head = try await Self.firstSync(harness, token: harness.token("nina", .head))
        #expect(head.snapshots.count == 5)
        for deal in deals {
            for kind in DealDocumentKind.allCases {
                let expected = try await sales.store.snapshotBlob(deal, kind)
                #expect(head.snapshots[Self.key(deal, kind)] == expected, "\(deal)/\(kind.rawValue)")
                if let expected {
                    #expect(try await relay.storedSnapshot(deal, kind)?.snapshot?.blob == expected, "\(deal)/\(kind.rawValue) as stored")
                }
            }
        }
        #expect(relay.metrics.snapshotsBuilt.value == 1, "only the integration-written document lacked a fresh snapshot")
        // A buyer reads the shared documents of the buyer's own deals, the same bytes.
        let own = try await Self.firstSync(harness, token: buyer.store.identity.token!)
        #expect(own.snapshots.count == 3)
        for deal in deals { #expect(own.snapshots[Self.key(deal, .shared)] == head.snapshots[Self.key(deal, .shared)]) }
        #expect(relay.metrics.snapshotsBuilt.value == 1)
        await harness.stop()
    }

    @Test func changesCommittedBetweenTwoPagesAreNotLost() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deals = ["d-a", "d-b", "d-c", "d-d"].map { DealID($0)! }
        for (index, deal) in deals.enumerated() {
            try await sales.store.createDeal(id: deal, values: ["vehicle.model": .text("Model \(index)"), "staff.margin": .money(minorUnits: 100, currency: "RUB")])
        }
        try await sales.sync()
        let before = try await sales.store.snapshotBlob(deals[3], .shared)
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: try harness.token("nina", .head))
        var request = SyncRequest(cursor: 0, push: [], limit: 2)
        let first: SyncResponse = try await connection.post("v1/sync", request)
        #expect(Set(first.snapshots.map(\.deal)) == Set(deals[0...1]))
        let base = try #require(first.bootstrapCursor)
        #expect(first.snapshotsAfter == deals[1])

        // Meanwhile: edits of a deal already sent and of one still to come, a new deal, and an
        // integration write (which leaves its document's stored snapshot stale).
        try await sales.store.set(deals[0], "vehicle.price", parsing: "1 000 000")
        try await sales.store.set(deals[2], "staff.notes", .text("Call back"))
        try await sales.store.createDeal(id: DealID("d-e")!, values: ["vehicle.model": .text("Late")])
        try await sales.sync()
        let crm = try harness.token("crm", .integration, device: "crm-1")
        let written = try await harness.integrationPost("/v1/integration/deals/d-d", token: crm, #"{"fields": {"payment.status": "captured"}}"#)
        #expect(written.status == 200, "\(written.text)")
        try await sales.sync()

        var served: [String: [UInt8]] = [:]
        for snapshot in first.snapshots { served[Self.key(snapshot.deal, snapshot.document)] = decodeBase64(snapshot.snapshot) }
        request.snapshotsAfter = first.snapshotsAfter
        request.bootstrapCursor = base
        var last = first
        while request.snapshotsAfter != nil {
            last = try await connection.post("v1/sync", request)
            for snapshot in last.snapshots { served[Self.key(snapshot.deal, snapshot.document)] = decodeBase64(snapshot.snapshot) }
            request.snapshotsAfter = last.snapshotsAfter
            request.bootstrapCursor = last.bootstrapCursor
        }
        #expect(last.cursor == base && last.more)
        // Stale since after the base: served as stored, since it holds every change up to it.
        #expect(served[Self.key(deals[3], .shared)] == before)
        // Then the changes after the base, as a device pulls them.
        var changes: [String: [Change]] = [:]
        var cursor = last.cursor
        var more = true
        while more {
            let page: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: cursor, push: []))
            for logged in page.changes {
                changes[Self.key(logged.deal, logged.document), default: []].append(try Change(encoded: try #require(decodeBase64(logged.change))))
            }
            (cursor, more) = (page.cursor, page.more)
        }
        for deal in deals + [DealID("d-e")!] {
            for kind in DealDocumentKind.allCases {
                let key = Self.key(deal, kind)
                let document = try served[key].map { try Document(snapshot: $0) } ?? Document()
                let report = document.apply(changes[key] ?? [])
                #expect(report.pending.isEmpty && report.refused.isEmpty, "\(key)")
                let expected = try await sales.store.snapshotBlob(deal, kind)
                #expect((document.history.isEmpty ? nil : document.encodeSnapshot()) == expected, "\(key) lost a change")
            }
        }
        // And a device converges the same way.
        let fresh = try harness.device("petr", .head, channel: .pc)
        try await fresh.sync()
        for deal in deals { #expect(try await fresh.card(deal) == sales.card(deal)) }
        await harness.stop()
    }

    @Test func aServedSnapshotNeverHoldsAnUnloadableEntry() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        try await sales.sync()
        let head = try harness.token("nina", .head)
        #expect(try await harness.server.relay.storedSnapshot(deal, .shared)?.staleFrom == nil)
        await harness.stop()
        // As an older relay could have stored them: bytes that do not decode, and a change that
        // breaks the Lamport rule (stored before the rule existed).
        let storage = try SQLiteRelayStorage(directory: harness.folder.file("relay"))
        let author = LogAuthor(user: "ivan", role: .buyer, device: "ivan-web", channel: .web)
        let jumped = try Document(replica: ReplicaID(78)).change(metadata: ChangeAuthor(user: "ivan", role: .buyer, device: "ivan-web",
                                                                                          channel: .web, time: 1).encoded()) { tx in
            try tx.put(.root, "credit.downPayment", .int(1))
        }!.withStartOp((1 << 62) - 2)
        let records = try storage.appendChanges([
            NewLogEntry(dealership: "north", deal: deal, document: .shared, replica: 77, changeSequence: 1,
                        blob: [0x44, 0x53, 0x59, 0x4E, 1, 1, 9, 9, 9, 9, 9], author: author, receivedAt: Date()),
            NewLogEntry(dealership: "north", deal: deal, document: .shared, replica: 78, changeSequence: 1,
                        blob: jumped.encoded(), author: author, receivedAt: Date()),
        ])
        // Appending marks the stored snapshot stale at the first entry it lacks.
        #expect(try storage.storedSnapshot(dealership: "north", deal: deal, document: .shared)?.staleFrom == records.first?.position)
        storage.close()
        try await harness.restartRelay()

        let served = try await Self.firstSync(harness, token: head)
        let expected = try await sales.store.snapshotBlob(deal, .shared)
        #expect(served.snapshots[Self.key(deal, .shared)] == expected)
        let quarantined = try await harness.server.relay.quarantineReasons()
        #expect(quarantined.filter { $0.hasPrefix("unloadable: log entry") }.count == 2, "\(quarantined)")
        let stored = try #require(try await harness.server.relay.storedSnapshot(deal, .shared))
        #expect(stored.snapshot?.blob == expected && stored.staleFrom == nil)
        await harness.stop()
    }

    @Test func aRestartedRelayServesItsStoredSnapshotsWithoutLoadingADocument() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        var deals: [DealID] = []
        for index in 0..<6 {
            deals.append(try await sales.store.createDeal(values: ["vehicle.model": .text("Model \(index)"),
                                                                   "staff.margin": .money(minorUnits: Int64(index) * 100, currency: "RUB")]))
        }
        try await sales.store.set(deals[0], "vehicle.price", parsing: "2 000 000")
        try await sales.sync()
        let crm = try harness.token("crm", .integration, device: "crm-1")
        let written = try await harness.integrationPost("/v1/integration/deals/\(deals[1])", token: crm, #"{"fields": {"payment.status": "captured"}}"#)
        #expect(written.status == 200, "\(written.text)")
        try await sales.sync()
        // The first of these builds the integration-written snapshot; the rest are stored.
        let early = try harness.device("boris", .head, channel: .pc)
        try await early.sync()
        try await harness.restartRelay()

        let relay = harness.server.relay
        #expect(relay.metrics.documentsLoaded.value == 0)
        let fresh = try harness.device("petr", .head, channel: .pc)
        let report = try await fresh.sync()
        #expect(report.snapshots == 12)
        #expect(relay.metrics.documentsLoaded.value == 0, "a first sync of stored snapshots loaded documents")
        #expect(relay.metrics.snapshotsBuilt.value == 0)
        for deal in deals {
            #expect(try await fresh.card(deal) == sales.card(deal))
            for kind in DealDocumentKind.allCases {
                #expect(try await fresh.store.snapshotBlob(deal, kind) == sales.store.snapshotBlob(deal, kind))
            }
        }
        await harness.stop()
    }

    @Test func anOldStoreWithoutStoredSnapshotsServesFirstSyncsAndFillsTheTable() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        var deals: [DealID] = []
        for model in ["Camry", "RAV4"] { deals.append(try await buyer.store.createDeal(values: ["vehicle.model": .text(model)])) }
        try await buyer.sync()
        try await sales.sync()
        try await sales.store.set(deals[1], "staff.notes", .text("VIP"))
        try await sales.sync()
        // The store as the step that creates the table leaves one written before it: the table
        // empty, every document to be built from the log when a first sync needs it.
        try await harness.restartRelay { folder in
            let database = try SQLiteDatabase(path: folder + "/" + SQLiteRelayStorage.fileName)
            defer { database.close() }
            try database.execute("DELETE FROM document_snapshot")
        }

        let head = try harness.token("nina", .head)
        let served = try await Self.firstSync(harness, token: head)
        #expect(served.snapshots.count == 3)
        for deal in deals {
            for kind in DealDocumentKind.allCases {
                #expect(served.snapshots[Self.key(deal, kind)] == (try await sales.store.snapshotBlob(deal, kind)), "\(deal)/\(kind.rawValue)")
            }
        }
        let relay = harness.server.relay
        #expect(relay.metrics.snapshotsBuilt.value == 3)
        _ = try await Self.firstSync(harness, token: head)
        #expect(relay.metrics.snapshotsBuilt.value == 3, "built snapshots are stored for the next first sync")
        try await harness.restartRelay()
        let fresh = try harness.device("petr", .head, channel: .pc)
        try await fresh.sync()
        #expect(harness.server.relay.metrics.documentsLoaded.value == 0)
        for deal in deals { #expect(try await fresh.card(deal) == sales.card(deal)) }
        await harness.stop()
    }

    @Test func aLargeDocumentIsLeftStaleByPushesAndBuiltByTheNextFirstSync() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        let client = HandMadeClient(harness, device: buyer)
        let state = try await client.document(deal)
        var blobs: [[UInt8]] = []
        for index in 0..<2 {
            let text = String(repeating: Character(String(index)), count: CardBudget.standard.valueBytes - 8)
            blobs.append(try state.change(metadata: client.metadata) { try $0.put(.root, "vehicle.model", .string(text)) }!.encoded())
        }
        let pushed = try await client.pushAll(blobs, deal: deal)
        #expect(pushed.accepted.count == 2, "\(pushed.refused.prefix(1))")
        let relay = harness.server.relay
        // Past `snapshotDocumentBytes`: the push did not encode it.
        #expect(try await relay.storedSnapshot(deal, .shared)?.staleFrom != nil)
        let served = try await Self.firstSync(harness, token: harness.token("nina", .head))
        #expect(served.snapshots[Self.key(deal, .shared)] == state.encodeSnapshot())
        #expect(try await relay.storedSnapshot(deal, .shared)?.staleFrom == nil)
        #expect(relay.metrics.snapshotsBuilt.value == 1)
        await harness.stop()
    }

    @Test func pushesToOneDocumentCommittedTogetherLeaveItsSnapshotRight() async throws {
        let harness = try SyncHarness()
        let owner = try harness.device("olga", .sales, channel: .pc)
        let deal = try await owner.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await owner.sync()
        var devices: [TestDevice] = []
        for index in 0..<8 {
            let device = try harness.device("sales\(index)", .sales, channel: .pc)
            try await device.sync()
            try await device.store.post(deal, "note \(index)")
            devices.append(device)
        }
        // Together: group commits with several pushes on one document (the later ones leave
        // its snapshot to the first sync, see Relay.freshSnapshots).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for device in devices { group.addTask { try await device.sync() } }
            try await group.waitForAll()
        }
        try await owner.sync()
        let served = try await Self.firstSync(harness, token: harness.token("nina", .head))
        let expected = try await owner.store.snapshotBlob(deal, .shared)
        #expect(served.snapshots[Self.key(deal, .shared)] == expected)
        #expect(try await harness.server.relay.storedSnapshot(deal, .shared)?.snapshot?.blob == expected)
        await harness.stop()
    }

    // MARK: The store

    @Test func aSnapshotIsStoredWithItsPushOrNotAtAllInAGroupCommit() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            defer { storage.close() }
            _ = try storage.appendChanges([RelayFixtures.change("d1", seq: 1, blob: [1])])
            func snapshot(_ deal: String, _ blob: [UInt8]) -> StoredSnapshot {
                StoredSnapshot(dealership: "north", deal: DealID(deal)!, document: .shared, blob: blob, changeCount: 1)
            }
            let first = PushCommit(entries: [RelayFixtures.change("d2", seq: 1, blob: [2])], snapshots: [snapshot("d2", [2])])
            // Refused by the storage (another change under a stored id): its snapshot goes with it.
            let refused = PushCommit(entries: [RelayFixtures.change("d1", seq: 1, blob: [9])], snapshots: [snapshot("d1", [9, 9])])
            let third = PushCommit(entries: [RelayFixtures.change("d1", seq: 2, blob: [4])])
            let results = try storage.commitPushes([first, refused, third])
            #expect((try? results[0].get()) != nil && (try? results[1].get()) == nil && (try? results[2].get()) != nil)
            let d2 = try #require(try storage.storedSnapshot(dealership: "north", deal: DealID("d2")!, document: .shared))
            #expect(d2.snapshot?.blob == [2] && d2.staleFrom == nil && d2.covers == 2)
            // d1 had no row: the refused push left none, and the third stored none.
            #expect(try storage.storedSnapshot(dealership: "north", deal: DealID("d1")!, document: .shared) == nil)
        }
    }


    @Test func theStoreServesASnapshotForABaseOnlyWhenItHoldsEveryChangeUpToIt() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            defer { storage.close() }
            _ = try storage.appendChanges([RelayFixtures.change("d1", seq: 1), RelayFixtures.change("d2", seq: 1)])
            func page(_ deals: DealSelection = .dealership("north"), after: DealID? = nil, base: LogPosition, limit: Int = 10,
                      maxBytes: Int = 1 << 20) throws -> SnapshotPage {
                try storage.snapshotPage(SnapshotPage.Request(deals: deals, after: after, documents: [.shared, .staff], base: base, limit: limit,
                                                              maxBytes: maxBytes))
            }
            func shared(_ slot: SnapshotPage.Slot) -> [SnapshotPage.Item] { [SnapshotPage.Item(kind: .shared, slot: slot)] }
            // No row yet (as in an old store): built, for documents with a change only.
            #expect(try page(base: 2) == SnapshotPage(deals: [SnapshotPage.Deal(id: DealID("d1")!, documents: shared(.build)),
                                                              SnapshotPage.Deal(id: DealID("d2")!, documents: shared(.build))], more: false))
            func snapshot(_ deal: String, _ blob: [UInt8]) -> StoredSnapshot {
                StoredSnapshot(dealership: "north", deal: DealID(deal)!, document: .shared, blob: blob, changeCount: 1)
            }
            try storage.storeSnapshots([snapshot("d1", [1]), snapshot("d2", [2, 2])], covering: 2)
            #expect(try page(base: 2).deals.map(\.documents) == [shared(.stored([1])), shared(.stored([2, 2]))])
            // A change after the snapshot: still served for a base before it, built for one after.
            let third = try storage.appendChanges([RelayFixtures.change("d1", seq: 2)])[0]
            #expect(try storage.storedSnapshot(dealership: "north", deal: DealID("d1")!, document: .shared)?.staleFrom == third.position)
            #expect(try page(base: 2).deals[0].documents == shared(.stored([1])))
            #expect(try page(base: third.position).deals[0].documents == shared(.build))
            // An older snapshot never replaces a newer one; a newer one is fresh again.
            try storage.storeSnapshots([snapshot("d1", [9])], covering: 1)
            #expect(try page(base: 2).deals[0].documents == shared(.stored([1])))
            try storage.storeSnapshots([snapshot("d1", [1, 3])], covering: third.position)
            #expect(try page(base: third.position).deals[0].documents == shared(.stored([1, 3])))
            // Limits: deals, bytes (the deal that reaches them is the last), after.
            #expect(try page(base: 3, limit: 1) == SnapshotPage(deals: [SnapshotPage.Deal(id: DealID("d1")!, documents: shared(.stored([1, 3])))],
                                                                more: true))
            #expect(try page(base: 3, maxBytes: 1).deals.map(\.id) == [DealID("d1")!])
            #expect(try page(base: 3, maxBytes: 1).more)
            #expect(try page(after: DealID("d1")!, base: 3) == SnapshotPage(deals: [SnapshotPage.Deal(id: DealID("d2")!, documents: shared(.stored([2, 2])))],
                                                                            more: false))
            // Selections: a buyer's deals, one deal, another dealership (a deal without changes counts).
            #expect(try page(.buyer(dealership: "north", user: "boris"), base: 3).deals.map(\.id) == [DealID("d1")!])
            #expect(try page(.deal(dealership: "north", id: DealID("d2")!), base: 3).deals.map(\.id) == [DealID("d2")!])
            #expect(try page(.dealership("south"), base: 3) == SnapshotPage(deals: [SnapshotPage.Deal(id: DealID("d3")!, documents: [])], more: false))
            #expect(try page(.none, base: 3).deals.isEmpty)
            // A document with no loadable change is kept so, and not served.
            try storage.storeSnapshots([StoredSnapshot(dealership: "north", deal: DealID("d2")!, document: .shared, blob: [0], changeCount: 0)],
                                       covering: 3)
            #expect(try page(base: 3).deals[1].documents.isEmpty)
            // Built under other rules, or holding an entry set aside: built again.
            try storage.database.execute("UPDATE document_snapshot SET rules = 0 WHERE deal_id = 'd1'")
            #expect(try page(base: 3).deals[0].documents == shared(.build))
            try storage.storeSnapshots([snapshot("d2", [2, 2])], covering: 3)
            try storage.markUnloadable(try #require(storage.changes(dealership: "north", deal: DealID("d2")!, document: .shared).first),
                                       reason: "test", at: RelayFixtures.now)
            #expect(try page(base: 3).deals[1].documents == shared(.build))
        }
    }

    // MARK: Helpers

    private static func key(_ deal: DealID, _ kind: DealDocumentKind) -> String { "\(deal)/\(kind.rawValue)" }

    /// A first sync by hand, page after page: the snapshot blobs served, by document.
    private static func firstSync(_ harness: SyncHarness, token: String) async throws -> (snapshots: [String: [UInt8]], cursor: LogPosition) {
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: token)
        var request = SyncRequest(cursor: 0, push: [])
        var snapshots: [String: [UInt8]] = [:]
        while true {
            let answer: SyncResponse = try await connection.post("v1/sync", request)
            for snapshot in answer.snapshots { snapshots[key(snapshot.deal, snapshot.document)] = decodeBase64(snapshot.snapshot) }
            guard let after = answer.snapshotsAfter else { return (snapshots, answer.cursor) }
            request.snapshotsAfter = after
            request.bootstrapCursor = answer.bootstrapCursor
        }
    }
}

extension DeviceStore {
    /// The snapshot this device encodes for a document it holds (tests).
    func snapshotBlob(_ deal: DealID, _ kind: DealDocumentKind) throws -> [UInt8]? {
        try document(deal, kind)?.encodeSnapshot()
    }
}

extension Relay {
    /// The stored snapshot row of a document of dealership north (tests).
    func storedSnapshot(_ deal: DealID, _ kind: DealDocumentKind) throws -> StoredSnapshotRecord? {
        try storage.storedSnapshot(dealership: "north", deal: deal, document: kind)
    }
}
