import CRDT
@testable import DealCardKit
@testable import SyncCore
import Foundation
import SQLiteKit
import Testing
import TestSupport

/// A device store written by a build from before snapshot format 2 holds version 1
/// snapshot rows (the whole history as changes): it opens, reads the same cards, and its
/// next fold writes format 2.
@Suite("Device store: version 1 snapshot rows")
struct SnapshotUpgradeTests {
    @Test func aStoreWithVersion1SnapshotRowsOpensReadsTheSameAndUpgrades() async throws {
        let folder = try TemporaryDirectory()
        let identity = testIdentity("olga", .sales, replica: 0x52)
        let deal: DealID
        let before: DealCard
        do {
            let store = try DeviceStore(creatingAt: folder.path, identity: identity)
            deal = try await store.createDeal(values: ["vehicle.model": .text("Camry")])
            // More changes than a fold takes, so the document has a snapshot row.
            for step in 0..<(DeviceStore.changesPerSnapshot + 5) {
                try await store.set(deal, "vehicle.price", parsing: "\(2_000_000 + step * 1_000)")
            }
            try await store.post(deal, "Welcome!")
            before = try await store.card(deal)
            await store.close()
        }
        // What an older build left: every snapshot row in format 1.
        let database = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
        let rows = try database.query("SELECT deal_id, document, snapshot FROM documents WHERE snapshot IS NOT NULL") {
            ($0.string(at: 0), $0.string(at: 1), $0.blob(at: 2))
        }
        try #require(!rows.isEmpty, "no snapshot row was folded")
        for (dealID, document, blob) in rows {
            #expect(try Document.snapshotFormatVersion(blob) == 2)
            let old = try Document(snapshot: blob).encodeSnapshotVersion1()
            try database.execute("UPDATE documents SET snapshot = ? WHERE deal_id = ? AND document = ?",
                                 arguments: [.blob(old), .text(dealID), .text(document)])
        }
        database.close()

        let reopened = try DeviceStore(openingAt: folder.path)
        #expect(try await reopened.card(deal) == before)
        for step in 0..<(DeviceStore.changesPerSnapshot + 1) {
            try await reopened.set(deal, "vehicle.trim", .text("Trim \(step)"))
        }
        let after = try await reopened.card(deal)
        #expect(after.values["vehicle.price"] == before.values["vehicle.price"])
        #expect(after.values["vehicle.trim"] == .text("Trim \(DeviceStore.changesPerSnapshot)"))
        await reopened.close()
        let check = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
        let shared = try check.query("SELECT snapshot FROM documents WHERE deal_id = ? AND document = 'shared'", [.text(deal.rawValue)]) {
            $0.blob(at: 0)
        }
        check.close()
        #expect(try shared.map { try Document.snapshotFormatVersion($0) } == [2], "the next fold writes format 2")
        let again = try DeviceStore(openingAt: folder.path)
        #expect(try await again.card(deal) == after)
        await again.close()
    }
}
