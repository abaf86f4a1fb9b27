import CRDT
import SyncProtocol
import Foundation
import DealCardKit
import SyncServer
import Testing
import TestSupport

/// The relay's change log: sequence numbers, cursor queries, idempotent and atomic appends.
@Suite("Relay change log")
struct RelayChangeLogTests {
    @Test func appendGivesStrictlyIncreasingSequenceNumbers() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            #expect(try storage.latestPosition == 0)
            let first = try storage.appendChanges([RelayFixtures.change("d1", seq: 1), RelayFixtures.change("d2", seq: 1)])
            let second = try storage.appendChanges([RelayFixtures.change("d1", .staff, seq: 1)])
            #expect((first + second).map(\.position) == [1, 2, 3])
            #expect(first[0].entry == RelayFixtures.change("d1", seq: 1))
            #expect(try storage.latestPosition == 3)
            #expect(try storage.appendChanges([]).isEmpty)
        }
    }

    @Test func largeReplicaAndSequenceValuesRoundTrip() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            // The log takes a replica's changes from 1 on; the largest seqs round-trip through
            // the quarantine, which keeps any change as received.
            let entry = RelayFixtures.change("d1", replica: ReplicaID(UInt64.max), seq: 1, blob: [])
            let records = try storage.appendChanges([entry])
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .shared) == records)
            #expect(records[0].entry == entry)
            let refused = QuarantineEntry(deal: DealID("d1")!, document: .shared, replica: ReplicaID(UInt64.max), changeSequence: UInt64(Int64.max) + 1, blob: [],
                                          senderUser: "anna", senderDevice: "pc-1", reason: "test", quarantinedAt: RelayFixtures.now)
            try storage.insertQuarantine(refused)
            #expect(try storage.quarantine(limit: 1).first?.entry == refused)
        }
    }

    @Test func duplicateAppendReturnsTheExistingRecord() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            let original = try storage.appendChanges([RelayFixtures.change("d1", seq: 1), RelayFixtures.change("d1", seq: 2)])
            // A retried push, plus one new change and a duplicate inside the batch itself.
            let retried = try storage.appendChanges([
                RelayFixtures.change("d1", seq: 2), RelayFixtures.change("d1", seq: 3), RelayFixtures.change("d1", seq: 3),
                RelayFixtures.change("d1", seq: 1),
            ])
            #expect(retried.map(\.position) == [2, 3, 3, 1])
            #expect(retried[3] == original[0])
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .shared).map(\.position) == [1, 2, 3])
            #expect(try storage.latestPosition == 3)
        }
    }

    @Test func sameChangeIdentityInAnotherDocumentOrDealIsANewChange() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            let records = try storage.appendChanges([
                RelayFixtures.change("d1", .shared, seq: 1), RelayFixtures.change("d1", .staff, seq: 1),
                RelayFixtures.change("d2", .shared, seq: 1), RelayFixtures.change("d1", .shared, replica: 8, seq: 1),
            ])
            #expect(records.map(\.position) == [1, 2, 3, 4])
        }
    }

    @Test func anAppendThatFailsMidwayLeavesNothing() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            _ = try storage.appendChanges([RelayFixtures.change("d1", seq: 1)])
            #expect(throws: RelayStorageError.unknownDeal(id: DealID("never-registered")!)) {
                try storage.appendChanges([
                    RelayFixtures.change("d1", seq: 2), RelayFixtures.change("d2", seq: 1),
                    RelayFixtures.change("never-registered", seq: 1), RelayFixtures.change("d1", seq: 3),
                ])
            }
            #expect(try storage.changes(after: 0, dealership: nil, dealIDs: nil, documents: [.shared, .staff], limit: 100).map(\.position) == [1])
            // The storage is still usable, and the failed batch can be retried without the bad entry.
            let retried = try storage.appendChanges([RelayFixtures.change("d1", seq: 2), RelayFixtures.change("d2", seq: 1)])
            #expect(retried.map(\.entry.changeSequence) == [2, 1])
            #expect(retried[0].position > 1)
        }
    }

    @Test func cursorQueriesFilterByDealAndDocumentInSequenceOrder() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            _ = try storage.appendChanges([
                RelayFixtures.change("d1", .shared, seq: 1),  // 1
                RelayFixtures.change("d2", .shared, seq: 1),  // 2
                RelayFixtures.change("d1", .staff, seq: 1),  // 3
                RelayFixtures.change("d3", .shared, seq: 1),  // 4
                RelayFixtures.change("d1", .shared, seq: 2),  // 5
                RelayFixtures.change("d2", .staff, seq: 1),  // 6
            ])
            func sequences(after cursor: LogPosition, _ deals: Set<String>?, _ documents: Set<DealDocumentKind>, limit: Int = 100) throws -> [LogPosition] {
                try storage.changes(after: cursor, dealership: nil, dealIDs: deals.map { texts in Set(texts.compactMap(DealID.init)) }, documents: documents, limit: limit).map(\.position)
            }
            #expect(try sequences(after: 0, nil, [.shared, .staff]) == [1, 2, 3, 4, 5, 6])
            #expect(try sequences(after: 2, nil, [.shared, .staff]) == [3, 4, 5, 6])
            #expect(try sequences(after: 0, nil, [.shared]) == [1, 2, 4, 5])
            #expect(try sequences(after: 0, ["d1"], [.shared]) == [1, 5])
            #expect(try sequences(after: 0, ["d1", "d2"], [.staff]) == [3, 6])
            #expect(try sequences(after: 1, ["d1", "d2"], [.shared, .staff]) == [2, 3, 5, 6])
            #expect(try sequences(after: 0, nil, [.shared, .staff], limit: 2) == [1, 2])
            #expect(try sequences(after: 2, ["d1", "d2"], [.shared, .staff], limit: 2) == [3, 5])
            #expect(try sequences(after: 6, nil, [.shared, .staff]).isEmpty)
            #expect(try sequences(after: 0, [], [.shared, .staff]).isEmpty)
            #expect(try sequences(after: 0, nil, []).isEmpty)
            #expect(try sequences(after: 0, ["no \"such\" deal"], [.shared]).isEmpty)
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .shared).map(\.position) == [1, 5])
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .staff).map(\.position) == [3])
        }
    }

    @Test func changesSurviveReopening() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            let records = try storage.appendChanges([RelayFixtures.change("d1", seq: 1), RelayFixtures.change("d1", seq: 2)])
            storage.close()
            let reopened = try SQLiteRelayStorage(directory: directory.path)
            #expect(try reopened.changes(after: 0, dealership: nil, dealIDs: nil, documents: [.shared], limit: 10) == records)
            #expect(try reopened.latestPosition == 2)
        }
    }
}
