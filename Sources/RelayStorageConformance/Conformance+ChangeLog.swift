import CRDT
import DealCardKit
import Foundation
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let changeLogChecks: [Check] = [
        Check("an empty store's log is at the start", emptyLogIsAtTheStart),
        Check("appended entries get ascending positions from 1", appendsGetAscendingPositions),
        Check("an appended entry keeps every field", appendedEntryKeepsEveryField),
        Check("a received time is kept rounded to the millisecond", receivedTimeIsKeptToTheMillisecond),
        Check("a retried append with the same bytes returns the stored record", retriedAppendReturnsTheStoredRecord),
        Check("an entry logged before with other bytes is refused as a conflicting change", conflictingChangeIsRefused),
        Check("a duplicate inside one append is appended once", duplicateInsideOneAppend),
        Check("an entry that is not its author's next change is refused with the expected seq", notNextChangeIsRefused),
        Check("an author's seqs count per dealership, deal, document and replica", seqsCountPerDocument),
        Check("an entry of an unregistered deal is refused", unknownDealIsRefused),
        Check("a failing append stores none of its entries", failingAppendStoresNothing),
        Check("the documents changed after a cursor are given with the head", documentsChangedAfterACursor),
    ]

    static func emptyLogIsAtTheStart(_ storage: any RelayStorage) throws {
        try expectEqual(try storage.latestPosition, .start, "latestPosition of an empty store")
        try expectEqual(try storage.compactedThrough, .start, "compactedThrough of an empty store")
        try expectEqual(try Fixture.positions(storage), [], "changes of an empty store")
        try expectEqual(try storage.unloadablePositions(), [], "unloadablePositions of an empty store")
        try expectEqual(try Fixture.append(storage, []), [], "appendChanges([]) of an empty store")
        try expectEqual(try storage.latestPosition, .start, "latestPosition after appending nothing")
    }

    static func appendsGetAscendingPositions(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let entries = [Fixture.change("d1", seq: 1), Fixture.change("d2", seq: 1)]
        let first = try Fixture.append(storage, entries)
        let second = try Fixture.append(storage, [Fixture.change("d1", .staff, seq: 1)])
        try expectEqual((first + second).map(\.position), [1, 2, 3], "positions of three appended entries")
        try expectEqual(first.map(\.entry), entries, "entries of the returned records")
        try expectEqual(try storage.latestPosition, 3, "latestPosition after three entries")
        try expectEqual(try Fixture.positions(storage), [1, 2, 3], "changes after 0")
    }

    static func appendedEntryKeepsEveryField(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        // A replica id beyond Int64.max (stored by bit pattern), an empty blob, another author.
        let author = LogAuthor(user: "boris", role: .buyer, device: "kiosk-1", channel: .kiosk)
        let entry = NewLogEntry(dealership: "south", deal: Fixture.id("d3"), document: .staff, replica: ReplicaID(UInt64.max - 5),
                                changeSequence: 1, blob: [], author: author, receivedAt: Fixture.now + 0.25)
        let large = NewLogEntry(dealership: "north", deal: Fixture.id("d1"), document: .shared, replica: ReplicaID(UInt64.max),
                                changeSequence: 1, blob: Array(UInt8.min...UInt8.max), author: Fixture.author, receivedAt: Fixture.now)
        let records = try Fixture.append(storage, [entry, large])
        try expectEqual(records.map(\.entry), [entry, large], "entries of the returned records")
        try expectEqual(try storage.changes(dealership: "south", deal: entry.deal, document: .staff), [records[0]], "changes of d3's staff card")
        try expectEqual(try storage.changes(after: .start, dealership: nil, dealIDs: nil, documents: [.shared, .staff], limit: 10), records,
                        "changes after 0")
    }

    static func receivedTimeIsKeptToTheMillisecond(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        // 0.6 ms past a millisecond: rounding gives the next one, truncating would not.
        let entry = Fixture.change("d1", seq: 1, receivedAt: Date(timeIntervalSince1970: 1_750_000_000.1236))
        let appended = try Fixture.append(storage, [entry])
        try expectMilliseconds(appended[0].entry.receivedAt, 1_750_000_000_124, "receivedAt of the returned record")
        let read = try storage.changes(dealership: "north", deal: entry.deal, document: .shared)
        try expectEqual(read.count, 1, "changes of d1")
        try expectMilliseconds(read[0].entry.receivedAt, 1_750_000_000_124, "receivedAt as read back")
        // The time is not part of an entry's identity: a retry at another time is the stored record.
        var later = entry
        later.receivedAt = Fixture.now + 60
        try expectEqual(try Fixture.append(storage, [later]), read, "a retry received later")
    }

    static func retriedAppendReturnsTheStoredRecord(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let original = try Fixture.append(storage, Fixture.changes("d1", 1...2))
        let retried = try Fixture.append(storage, [Fixture.change("d1", seq: 2), Fixture.change("d1", seq: 3), Fixture.change("d1", seq: 1)])
        try expectEqual(retried.map(\.position), [2, 3, 1], "positions of a retry of 2, a new 3 and a retry of 1")
        try expectEqual(retried[0], original[1], "the record of the retried change 2")
        try expectEqual(retried[2], original[0], "the record of the retried change 1")
        try expectEqual(try storage.latestPosition, 3, "latestPosition after the retry")
        try expectEqual(try Fixture.positions(storage, of: "d1"), [1, 2, 3], "changes of d1")
    }

    static func conflictingChangeIsRefused(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, Fixture.changes("d1", 1...2))
        let other = Fixture.change("d1", seq: 2, blob: [0xFF])
        try expectError(.conflictingChange(deal: other.deal, replica: other.replica, changeSequence: 2), "appendChanges of change 2 with other bytes") {
            try Fixture.append(storage, [Fixture.change("d2", seq: 1), other])
        }
        try expectEqual(try storage.latestPosition, 2, "latestPosition after the refused append")
        try expectEqual(try Fixture.positions(storage), [1, 2], "changes after the refused append (d2's entry left out)")
        try expectEqual(try storage.changes(dealership: "north", deal: other.deal, document: .shared).map(\.entry.blob),
                        [Fixture.change("d1", seq: 1).blob, Fixture.change("d1", seq: 2).blob], "the blobs kept")
    }

    static func duplicateInsideOneAppend(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let records = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d1", seq: 2), Fixture.change("d1", seq: 1)])
        try expectEqual(records.map(\.position), [1, 2, 1], "positions of 1, 2 and 1 again")
        try expectEqual(try storage.latestPosition, 2, "latestPosition")
        let other = Fixture.change("d2", seq: 1, blob: [0xEE])
        try expectError(.conflictingChange(deal: other.deal, replica: other.replica, changeSequence: 1), "a duplicate with other bytes in one append") {
            try Fixture.append(storage, [Fixture.change("d2", seq: 1), other])
        }
        try expectEqual(try Fixture.positions(storage, of: "d2"), [], "changes of d2 after the refused append")
    }

    static func notNextChangeIsRefused(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let first = Fixture.change("d1", seq: 2)
        try expectError(.notNextChange(deal: first.deal, replica: first.replica, changeSequence: 2, expected: 1), "a replica's first change with seq 2") {
            try Fixture.append(storage, [first])
        }
        _ = try Fixture.append(storage, Fixture.changes("d1", 1...2))
        let gap = Fixture.change("d1", seq: 4)
        try expectError(.notNextChange(deal: gap.deal, replica: gap.replica, changeSequence: 4, expected: 3), "change 4 after 2") {
            try Fixture.append(storage, [gap])
        }
        // Inside one call, the entries before count.
        let skip = Fixture.change("d1", seq: 5)
        try expectError(.notNextChange(deal: skip.deal, replica: skip.replica, changeSequence: 5, expected: 4), "change 5 after 3 in one append") {
            try Fixture.append(storage, [Fixture.change("d1", seq: 3), skip])
        }
        try expectEqual(try storage.latestPosition, 2, "latestPosition after the refusals")
    }

    static func seqsCountPerDocument(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try storage.insertDeal(Fixture.deal("d1", dealership: "south"))
        let records = try Fixture.append(storage, [
            Fixture.change("d1", .shared, seq: 1), Fixture.change("d1", .staff, seq: 1), Fixture.change("d2", seq: 1),
            Fixture.change("d1", replica: ReplicaID(8), seq: 1), Fixture.change("d1", seq: 1, dealership: "south"),
        ])
        try expectEqual(records.map(\.position), [1, 2, 3, 4, 5], "positions of five first changes")
        try expectEqual(try Fixture.positions(storage, of: "d1", dealership: "south"), [5], "changes of south's d1")
        try expectEqual(try Fixture.positions(storage, of: "d1"), [1, 4], "changes of north's d1")
    }

    static func unknownDealIsRefused(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try expectError(.unknownDeal(id: Fixture.id("never-registered")), "a change of a deal never registered") {
            try Fixture.append(storage, [Fixture.change("never-registered", seq: 1)])
        }
        // d3 is registered in south only.
        try expectError(.unknownDeal(id: Fixture.id("d3")), "a change of south's deal said to be north's") {
            try Fixture.append(storage, [Fixture.change("d3", seq: 1, dealership: "north")])
        }
        try expectEqual(try storage.latestPosition, .start, "latestPosition after the refusals")
    }

    static func failingAppendStoresNothing(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1)])
        try expectError(.unknownDeal(id: Fixture.id("never-registered")), "an append with an unregistered deal third") {
            try Fixture.append(storage, [Fixture.change("d1", seq: 2), Fixture.change("d2", seq: 1), Fixture.change("never-registered", seq: 1),
                                       Fixture.change("d1", seq: 3)])
        }
        try expectEqual(try storage.latestPosition, 1, "latestPosition after the failed append")
        try expectEqual(try Fixture.positions(storage), [1], "changes after the failed append")
        try expectEqual(try storage.staleAnalyticsDeals(limit: 10).map(\.deal), [Fixture.id("d1")], "stale deals after the failed append")
        // The store is still usable, and the batch passes without the bad entry.
        let retried = try Fixture.append(storage, [Fixture.change("d1", seq: 2), Fixture.change("d2", seq: 1)])
        try expectEqual(retried.map(\.entry.changeSequence), [2, 1], "seqs of the retried append")
        try expect(retried.allSatisfy { $0.position > 1 }, "the retried append's positions come after 1: \(retried.map(\.position))")
    }

    static func documentsChangedAfterACursor(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [
            Fixture.change("d1", seq: 1), Fixture.change("d2", .staff, seq: 1), Fixture.change("d3", seq: 1), Fixture.change("d3", seq: 2),
        ])
        let changed = try storage.documentsChanged(after: 1)
        try expectEqual(changed.entries, [
            ChangedDocument(position: 2, dealership: "north", deal: Fixture.id("d2"), document: .staff),
            ChangedDocument(position: 3, dealership: "south", deal: Fixture.id("d3"), document: .shared),
            ChangedDocument(position: 4, dealership: "south", deal: Fixture.id("d3"), document: .shared),
        ], "entries changed after 1")
        try expectEqual(changed.head, 4, "head")
        let none = try storage.documentsChanged(after: 4)
        try expectEqual(none.entries, [], "entries changed after the head")
        try expectEqual(none.head, 4, "head")
    }
}
