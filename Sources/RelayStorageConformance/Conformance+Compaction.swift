import CRDT
import DealCardKit
import Foundation
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let compactionChecks: [Check] = [
        Check("a document never compacted has no base", noBaseBeforeCompaction),
        Check("compacting deletes the document's entries up to through and returns how many", compactionDeletesUpToThrough),
        Check("compacting stores the base and raises compactedThrough", compactionStoresTheBase),
        Check("an author's next change after compaction follows the horizon", nextChangeFollowsTheHorizon),
        Check("compacting behind the stored base is refused", compactionBehindIsRefused),
        Check("a document with an unloadable entry up to through is not compacted", unloadableEntryBlocksCompaction),
        Check("compacting deletes the document's stored snapshot", compactionDeletesTheSnapshot),
        Check("the last position received before a cutoff is the one before the first received at or after it", lastPositionReceivedBefore),
        Check("the documents with entries through a position are listed in order", documentsWithEntriesThrough),
    ]

    /// d1 shared 1, d1 staff 2, d1 shared 3, d2 shared 4, d1 shared 5 (replica 7's seqs 1, 1, 2, 1, 3).
    static func appendForCompaction(_ storage: any RelayStorage) throws -> [LogRecord] {
        try Fixture.insertDeals(storage)
        return try Fixture.append(storage, [
            Fixture.change("d1", .shared, seq: 1), Fixture.change("d1", .staff, seq: 1), Fixture.change("d1", .shared, seq: 2),
            Fixture.change("d2", .shared, seq: 1), Fixture.change("d1", .shared, seq: 3),
        ])
    }

    static func noBaseBeforeCompaction(_ storage: any RelayStorage) throws {
        _ = try appendForCompaction(storage)
        try expectEqual(try storage.documentBase(dealership: "north", deal: Fixture.id("d1"), document: .shared), nil, "d1's shared base")
        try expectEqual(try storage.compactedThrough, .start, "compactedThrough")
    }

    static func compactionDeletesUpToThrough(_ storage: any RelayStorage) throws {
        _ = try appendForCompaction(storage)
        let deleted = try storage.compact(Fixture.base(through: 3, horizon: [Fixture.replica: 2]))
        try expectEqual(deleted, 2, "entries deleted compacting d1's shared card through 3")
        try expectEqual(try Fixture.positions(storage, of: "d1"), [5], "d1's shared changes left")
        try expectEqual(try Fixture.positions(storage, of: "d1", .staff), [2], "d1's staff changes, untouched")
        try expectEqual(try Fixture.positions(storage, of: "d2"), [4], "d2's changes, untouched")
        try expectEqual(try Fixture.positions(storage), [2, 4, 5], "changes after 0")
        try expectEqual(try storage.latestPosition, 5, "latestPosition (it never goes back)")
    }

    static func compactionStoresTheBase(_ storage: any RelayStorage) throws {
        _ = try appendForCompaction(storage)
        let base = Fixture.base(through: 3, horizon: [Fixture.replica: 2, ReplicaID(UInt64.max): 9], snapshot: Array(UInt8.min...UInt8.max))
        try storage.compact(base)
        try expectEqual(try storage.documentBase(dealership: "north", deal: base.deal, document: .shared), base, "d1's shared base")
        try expectEqual(try storage.compactedThrough, 3, "compactedThrough")
        try expectEqual(try storage.documentBase(dealership: "north", deal: base.deal, document: .staff), nil, "d1's staff base")
        // A later compaction replaces the base; its time is kept rounded to the millisecond.
        let later = Fixture.base(through: 5, horizon: [Fixture.replica: 3], snapshot: [1], compactedAt: Date(timeIntervalSince1970: 1_750_000_000.1236))
        try expectEqual(try storage.compact(later), 1, "entries deleted compacting through 5")
        let stored = try unwrap(try storage.documentBase(dealership: "north", deal: base.deal, document: .shared), "d1's shared base after")
        try expectMilliseconds(stored.compactedAt, 1_750_000_000_124, "compactedAt")
        var expected = later
        expected.compactedAt = stored.compactedAt
        try expectEqual(stored, expected, "d1's shared base after compacting through 5")
        try expectEqual(try storage.compactedThrough, 5, "compactedThrough after")
        // compactedThrough never goes back: another document compacted through less.
        try storage.compact(Fixture.base("d1", .staff, through: 2, horizon: [Fixture.replica: 1]))
        try expectEqual(try storage.compactedThrough, 5, "compactedThrough after compacting the staff card through 2")
    }

    static func nextChangeFollowsTheHorizon(_ storage: any RelayStorage) throws {
        _ = try appendForCompaction(storage)
        // Every shared entry of d1 is gone: only the horizon knows replica 7 reached seq 3.
        try storage.compact(Fixture.base(through: 5, horizon: [Fixture.replica: 3, ReplicaID(8): 2]))
        try expectEqual(try Fixture.positions(storage, of: "d1"), [], "d1's shared changes left")
        let retry = Fixture.change("d1", seq: 1)
        try expectError(.notNextChange(deal: retry.deal, replica: retry.replica, changeSequence: 1, expected: 4), "a compacted change again") {
            try Fixture.append(storage, [retry])
        }
        let skip = Fixture.change("d1", seq: 5)
        try expectError(.notNextChange(deal: skip.deal, replica: skip.replica, changeSequence: 5, expected: 4), "change 5 after the horizon's 3") {
            try Fixture.append(storage, [skip])
        }
        // A replica the horizon names and the log never held.
        let other = Fixture.change("d1", replica: ReplicaID(8), seq: 1)
        try expectError(.notNextChange(deal: other.deal, replica: other.replica, changeSequence: 1, expected: 3), "replica 8's change 1") {
            try Fixture.append(storage, [other])
        }
        let next = try Fixture.append(storage, [Fixture.change("d1", seq: 4), Fixture.change("d1", replica: ReplicaID(8), seq: 3)])
        try expectEqual(next.map(\.position), [6, 7], "positions of the next changes")
    }

    static func compactionBehindIsRefused(_ storage: any RelayStorage) throws {
        _ = try appendForCompaction(storage)
        try storage.compact(Fixture.base(through: 5, horizon: [Fixture.replica: 3]))
        let behind = Fixture.base(through: 3, horizon: [Fixture.replica: 2], snapshot: [0xEE])
        try expectError(.compactionBehind(deal: behind.deal, through: 3, stored: 5), "compacting through 3 after 5") { try storage.compact(behind) }
        try expectEqual(try storage.documentBase(dealership: "north", deal: behind.deal, document: .shared)?.through, 5, "the base's through")
        try expectEqual(try storage.documentBase(dealership: "north", deal: behind.deal, document: .shared)?.snapshot, [0xBA, 0x5E], "the base's snapshot")
    }

    static func unloadableEntryBlocksCompaction(_ storage: any RelayStorage) throws {
        let records = try appendForCompaction(storage)
        try storage.markUnloadable(records[2], reason: "test", at: Fixture.now)
        let base = Fixture.base(through: 3, horizon: [Fixture.replica: 2])
        try expectThrows("compacting a document with an unloadable entry at 3 through 3", expected: "compactionBlocked for d1's shared card",
                         matching: { error in
                             guard case RelayStorageError.compactionBlocked(let deal, let document, _) = error else { return false }
                             return deal == base.deal && document == .shared
                         }) { try storage.compact(base) }
        try expectEqual(try storage.documentBase(dealership: "north", deal: base.deal, document: .shared), nil, "d1's shared base")
        try expectEqual(try Fixture.positions(storage, of: "d1"), [1, 5], "d1's shared changes")
        try expectEqual(try storage.compactedThrough, .start, "compactedThrough")
        // One set aside after through does not block.
        try expectEqual(try storage.compact(Fixture.base(through: 1, horizon: [Fixture.replica: 1])), 1, "entries deleted compacting through 1")
    }

    static func compactionDeletesTheSnapshot(_ storage: any RelayStorage) throws {
        _ = try appendForCompaction(storage)
        try storage.storeSnapshots([Fixture.snapshot("d1", changeCount: 3), Fixture.snapshot("d2")], covering: 5)
        try storage.compact(Fixture.base(through: 5, horizon: [Fixture.replica: 3]))
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d1"), document: .shared), nil, "d1's shared snapshot")
        try expect(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d2"), document: .shared) != nil, "d2's snapshot is kept")
        // The compacted document is still served: built from its base.
        let page = try storage.snapshotPage(Fixture.pageRequest(.deal(dealership: "north", id: Fixture.id("d1")), documents: [.shared], base: 5))
        try expectEqual(page.deals.first?.documents, [SnapshotPage.Item(kind: .shared, slot: .build)], "d1's page documents")
    }

    static func lastPositionReceivedBefore(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try expectEqual(try storage.lastPosition(receivedBefore: Fixture.now), .start, "an empty log's last position")
        _ = try Fixture.append(storage, (0...2).map { Fixture.change("d1", seq: UInt64($0 + 1), receivedAt: Fixture.now + Double($0) * 10) })
        try expectEqual(try storage.lastPosition(receivedBefore: Fixture.now + 30), 3, "every entry older")
        try expectEqual(try storage.lastPosition(receivedBefore: Fixture.now + 15), 2, "the cutoff between the second and the third")
        try expectEqual(try storage.lastPosition(receivedBefore: Fixture.now + 10), 1, "the cutoff at the second's time")
        try expectEqual(try storage.lastPosition(receivedBefore: Fixture.now), .start, "the cutoff at the first's time")
        try expectEqual(try storage.lastPosition(receivedBefore: Fixture.now - 60), .start, "every entry newer")
    }

    static func documentsWithEntriesThrough(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [
            Fixture.change("d2", seq: 1), Fixture.change("d3", seq: 1), Fixture.change("d1", .staff, seq: 1), Fixture.change("d1", seq: 1),
            Fixture.change("d1", seq: 2), Fixture.change("d2", .staff, seq: 1),
        ])
        try expectEqual(try storage.documents(withEntriesThrough: 5).map(Fixture.name),
                        ["north/d1/shared", "north/d1/staff", "north/d2/shared", "south/d3/shared"], "documents through 5")
        try expectEqual(try storage.documents(withEntriesThrough: 1).map(Fixture.name), ["north/d2/shared"], "documents through 1")
        try expectEqual(try storage.documents(withEntriesThrough: .start).map(Fixture.name), [], "documents through 0")
    }
}
