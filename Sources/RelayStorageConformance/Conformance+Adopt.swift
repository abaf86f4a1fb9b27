import CRDT
import DealCardKit
import Foundation
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let adoptChecks: [Check] = [
        Check("adopting a base moves the log on by one position that no entry takes", adoptionMovesTheLogOn),
        Check("adopting a base removes the entries given and the document's unloadable ones, and keeps the quarantine given",
              adoptionRemovesEntries),
        Check("after adopting a base, an author's next change follows its horizon", nextChangeAfterAdoption),
    ]

    /// d1 shared 1...3 (replica 7), d2 shared 4.
    static func appendForAdoption(_ storage: any RelayStorage) throws -> [LogRecord] {
        try Fixture.insertDeals(storage)
        return try Fixture.append(storage, Fixture.changes("d1", 1...3) + [Fixture.change("d2", seq: 1)])
    }

    static func adoptionMovesTheLogOn(_ storage: any RelayStorage) throws {
        let records = try appendForAdoption(storage)
        let base = Fixture.base(through: 3, horizon: [Fixture.replica: 3])
        let marker = try storage.adopt(base, removing: records[..<3].map(\.position), quarantine: [])
        try expectEqual(marker, 5, "the marker after four entries")
        try expectEqual(try storage.latestPosition, 5, "latestPosition")
        try expectEqual(try storage.compactedThrough, 5, "compactedThrough")
        try expectEqual(try Fixture.positions(storage), [4], "changes after 0 (no entry at the marker)")
        try expectEqual(try storage.documentBase(dealership: "north", deal: base.deal, document: .shared), base, "the adopted base")
        try expectEqual(try Fixture.append(storage, [Fixture.change("d2", seq: 2)]).map(\.position), [6], "the next entry's position")
    }

    static func adoptionRemovesEntries(_ storage: any RelayStorage) throws {
        let records = try appendForAdoption(storage)
        try storage.storeSnapshots([Fixture.snapshot("d1", changeCount: 3)], covering: 4)
        try storage.markUnloadable(records[0], reason: "test", at: Fixture.now)
        let refused = Fixture.quarantined("d1", document: .shared, replica: Fixture.replica, seq: 3, reason: "does not apply on the base")
        _ = try storage.adopt(Fixture.base(through: 3, horizon: [Fixture.replica: 2]), removing: [records[1].position, records[2].position],
                              quarantine: [refused])
        try expectEqual(try Fixture.positions(storage, of: "d1"), [], "d1's shared changes")
        try expectEqual(try storage.unloadablePositions(), [], "unloadablePositions (d1's entry set aside went with the rest)")
        try expectEqual(try Fixture.positions(storage, of: "d2"), [4], "d2's changes, untouched")
        try expectEqual(try storage.quarantine(limit: 1).map(\.entry), [refused], "the newest quarantine entry")
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d1"), document: .shared), nil, "d1's stored snapshot")
    }

    static func nextChangeAfterAdoption(_ storage: any RelayStorage) throws {
        let records = try appendForAdoption(storage)
        // The upstream's base holds replica 7 up to 5 and replica 9 up to 2, neither in this log.
        let marker = try storage.adopt(Fixture.base(through: 3, horizon: [Fixture.replica: 5, ReplicaID(9): 2]),
                                       removing: records[..<3].map(\.position), quarantine: [])
        let early = Fixture.change("d1", seq: 4)
        try expectError(.notNextChange(deal: early.deal, replica: early.replica, changeSequence: 4, expected: 6), "replica 7's change 4") {
            try Fixture.append(storage, [early])
        }
        let next = try Fixture.append(storage, [Fixture.change("d1", seq: 6), Fixture.change("d1", replica: ReplicaID(9), seq: 3)])
        try expectEqual(next.map(\.position), [LogPosition(marker.rawValue + 1), LogPosition(marker.rawValue + 2)], "positions after the marker")
        try storage.compact(Fixture.base(through: next[1].position, horizon: [Fixture.replica: 6, ReplicaID(9): 3]))
        try expectEqual(try Fixture.positions(storage, of: "d1"), [], "d1's shared changes after compacting again")
    }
}
