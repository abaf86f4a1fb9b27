import CRDT
import DealCardKit
import Foundation
import SQLiteKit
@testable import SyncServer
import Testing
import TestSupport

/// `adopt`, the storage side of a showroom relay taking its upstream's compacted document:
/// one transaction that leaves the document as its base alone, moves the log's last position
/// on past every cursor handed out, and lets later appends and compactions go on.
@Suite("Relay storage: adopting an upstream base")
struct RelayStorageAdoptTests {
    @Test func theBaseReplacesTheDocumentsLogEntriesSetAsideIncluded() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            let records = try storage.appendChanges((1...3).map { RelayFixtures.change("d1", seq: $0) })
            _ = try storage.appendChanges([RelayFixtures.change("d2", seq: 1)])
            // The first entry of d1 could not be loaded: set aside, in the quarantine.
            try storage.markUnloadable(records[0], reason: "test", at: RelayFixtures.now)
            let base = DocumentBase(dealership: "north", deal: DealID("d1")!, document: .shared, through: records[2].position,
                                    snapshot: [0xBA, 0x5E], horizon: VersionVector([ReplicaID(7): 3]), compactedAt: RelayFixtures.now)
            let compacted = try storage.adopt(base, removing: records[1...].map(\.position), quarantine: [])
            // A position no entry holds, past every one handed out (4: the three of d1, one of d2).
            #expect(compacted == 5)
            #expect(try storage.latestPosition == 5)
            #expect(try storage.compactedThrough == 5)
            let left = try storage.database.scalar("SELECT count(*) FROM change_log WHERE deal_id = 'd1'")?.int64
            #expect(left == 0)
            #expect(try storage.database.scalar("SELECT count(*) FROM unloadable_change")?.int64 == 0)
            #expect(try storage.changes(dealership: "north", deal: DealID("d2")!, document: .shared).count == 1)
            #expect(try storage.documentBase(dealership: "north", deal: DealID("d1")!, document: .shared)?.horizon == base.horizon)
            // The author's next change follows the base's version; later entries come after the marker.
            let next = try storage.appendChanges([RelayFixtures.change("d1", seq: 4)])
            #expect(next.map(\.position) == [6])
            // And this relay may compact the document again later.
            let again = DocumentBase(dealership: "north", deal: DealID("d1")!, document: .shared, through: 6, snapshot: [0xBA, 0x5F],
                                     horizon: VersionVector([ReplicaID(7): 4]), compactedAt: RelayFixtures.now)
            #expect(try storage.compact(again) == 1)
        }
    }
}
