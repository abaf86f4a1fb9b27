@testable import CRDT
@testable import DealCardKit
@testable import SyncCore
@testable import SyncProtocol
import Foundation
import RelayTestSupport
import Testing
import TestSupport

/// What a device receives is stored as received: a change's row holds the relay's bytes, and
/// a first sync keeps the relay's snapshot blob as the document's snapshot.
@Suite("Received bytes are stored as received", .serialized)
struct ReceivedBytesTests {
    @Test func aReceivedChangeIsStoredInTheBytesTheRelaySent() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        try await sales.sync()
        // The buyer's next change in bytes that decode fine but are not the canonical ones.
        let client = HandMadeClient(harness, device: buyer)
        let state = try await client.document(deal)
        let change = try state.change(metadata: client.metadata) { tx in
            try tx.put(.root, "vehicle.trim", .string("Prestige"))
            try tx.put(.root, "vehicle.color", .string("white"))
        }!
        let spelledOut = try #require(EncodingVariants.withoutSameObjectBit(change.encoded(), secondKey: "vehicle.color"))
        #expect(spelledOut != change.encoded())
        let answer = try await client.push([spelledOut], deal: deal)
        #expect(answer.accepted.count == 1, "\(answer.refused)")

        let report = try await sales.sync()
        #expect(report.received >= 1)
        let rows = try await sales.store.storedChanges(deal, .shared)
        let row = try #require(rows.first { $0.change == change.id })
        #expect(row.blob == spelledOut, "the row holds a re-encoding, not the relay's bytes")
        #expect(try await sales.card(deal).values["vehicle.color"] == .text("white"))

        // The stored bytes load again.
        let folder = sales.store.folder
        await sales.store.close()
        let reopened = try DeviceStore(openingAt: folder)
        #expect(try await reopened.card(deal).values["vehicle.trim"] == .text("Prestige"))
        await reopened.close()
        await harness.stop()
    }

    @Test func aFirstSyncKeepsTheRelaysSnapshotsAsTheDocumentsSnapshots() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await sales.store.set(deal, "vehicle.price", parsing: "2 330 000")
        try await sales.store.set(deal, "staff.notes", .text("VIP"))
        try await sales.sync()

        let fresh = try harness.device("petr", .sales, channel: .tablet)
        let client = HandMadeClient(harness, device: fresh)
        let relaySnapshots = try await client.snapshots()
        let report = try await fresh.sync()
        #expect(report.snapshots == 2)
        for kind in DealDocumentKind.allCases {
            let sent = try #require(relaySnapshots[ChangeRef(deal: deal, document: kind, change: ChangeID(replica: ReplicaID(1), seq: 1))])
            #expect(try await fresh.store.snapshotRow(deal, kind)?.snapshot == sent, "\(kind)")
        }
        #expect(try await fresh.store.rowCount("changes") == 0, "a snapshot's changes were written out one by one")
        let card = try await sales.card(deal)
        #expect(try await fresh.card(deal).values == card.values)

        let folder = fresh.store.folder
        await fresh.store.close()
        let reopened = try DeviceStore(openingAt: folder)
        #expect(try await reopened.card(deal).values == card.values)
        await reopened.close()
        await harness.stop()
    }

    @Test func aSnapshotThatDoesNotLoadOnItsOwnIsStoredAsChangeRows() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xE1))
        let deal = DealID("d-partial")!
        let source = Document(replica: ReplicaID(0xE2))
        let first = try source.change { try $0.put(.root, "vehicle.model", .string("Camry")) }!
        let second = try source.change { try $0.put(.root, "vehicle.color", .string("white")) }!
        // A snapshot blob holding only the second change: it waits for the first.
        let partial = try ReceivedChanges.Snapshot(blob: ChangeBatch.encode([second], kind: .snapshot, version: 1))
        let report = try await store.applyRemote(received: [ReceivedChanges(deal: deal, document: .shared, snapshot: partial, changes: [])])
        #expect(report[0].pending == [second.id])
        #expect(try await store.snapshotRow(deal, .shared)?.snapshot == nil)
        #expect(try await store.storedChanges(deal, .shared).map(\.blob) == [second.encoded()])

        try await store.applyRemote(deal, .shared, [first])
        await store.close()
        let reopened = try DeviceStore(openingAt: folder.path)
        #expect(try await reopened.card(deal).values["vehicle.color"] == .text("white"))
        await reopened.close()
    }

    /// A format 2 snapshot with a good checksum but a body that does not load is refused
    /// where it is loaded (the store), naming the deal; nothing of the answer is applied.
    @Test func aSnapshotThatDoesNotLoadFailsTheAnswerAndAppliesNothing() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xE5))
        let good = DealID("d-good")!
        let bad = DealID("d-bad")!
        let source = Document(replica: ReplicaID(0xE6))
        _ = try source.change { try $0.put(.root, "vehicle.model", .string("Camry")) }
        let broken = Blob.wrap(.snapshot, version: 2, body: [0, 0, 0, 0, 0, 0, 0])  // no root object
        let answer = [
            ReceivedChanges(deal: good, document: .shared, snapshot: try ReceivedChanges.Snapshot(blob: source.encodeSnapshot()), changes: []),
            ReceivedChanges(deal: bad, document: .shared, snapshot: try ReceivedChanges.Snapshot(blob: broken), changes: []),
        ]
        await #expect {
            try await store.applyRemote(received: answer)
        } throws: { error in
            guard case StoreError.corrupt(let reason) = error else { return false }
            return reason.contains("d-bad/shared") && reason.contains("nothing of the answer was applied")
        }
        #expect(try await store.deals().isEmpty)
    }

    @Test func aKeptSnapshotAndTheLogAfterItReportAsOneApply() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xE3))
        let deal = DealID("d-both")!
        let source = Document(replica: ReplicaID(0xE4))
        let early = try (0..<3).map { index in try source.change { try $0.put(.root, "vehicle.trim", .string("t\(index)")) }! }
        let snapshot = try ReceivedChanges.Snapshot(blob: source.encodeSnapshot())
        let late = try source.change { try $0.put(.root, "vehicle.model", .string("Camry")) }!
        let lateBytes = try EncodedChange(blob: #require(EncodingVariants.withoutSameObjectBit(
            try source.fork().change { tx in
                try tx.put(.root, "vehicle.trim", .string("x"))
                try tx.put(.root, "vehicle.color", .string("white"))
            }!.encoded(), secondKey: "vehicle.color")))
        let received = ReceivedChanges(deal: deal, document: .shared, snapshot: snapshot, changes: [EncodedChange(late), lateBytes])

        let reference = Document(replica: ReplicaID(0xE3))
        let expected = reference.apply(try received.allChanges)
        let report = try await store.applyRemote(received: [received])
        #expect(report == [expected])
        #expect(report[0].applied == early.map(\.id) + [late.id, lateBytes.change.id])
        #expect(try await store.snapshotRow(deal, .shared)?.snapshot == snapshot.blob)
        #expect(try await store.storedChanges(deal, .shared).map(\.blob) == [late.encoded(), lateBytes.blob])
        #expect(try await store.changes(deal, .shared, since: VersionVector()).count == 5)
    }
}

extension HandMadeClient {
    /// Every snapshot blob a first sync answers this client, by deal and document (the
    /// change part of the key is a placeholder).
    func snapshots() async throws -> [ChangeRef: [UInt8]] {
        var request = SyncRequest(cursor: 0, push: [])
        var found: [ChangeRef: [UInt8]] = [:]
        while true {
            let answer: SyncResponse = try await connection.post("v1/sync", request)
            for snapshot in answer.snapshots {
                let key = ChangeRef(deal: snapshot.deal, document: snapshot.document, change: ChangeID(replica: ReplicaID(1), seq: 1))
                found[key] = decodeBase64(snapshot.snapshot)
            }
            guard let after = answer.snapshotsAfter else { break }
            request.snapshotsAfter = after
            request.bootstrapCursor = answer.bootstrapCursor
        }
        return found
    }
}
