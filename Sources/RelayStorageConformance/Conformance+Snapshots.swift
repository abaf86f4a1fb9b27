import DealCardKit
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let snapshotChecks: [Check] = [
        Check("a stored snapshot reads back current", storedSnapshotReadsBack),
        Check("an append after a stored snapshot marks it stale from the first change it lacks", appendMarksSnapshotStale),
        Check("a snapshot covering less than the stored one is not stored", olderSnapshotIsIgnored),
        Check("a snapshot stored behind the log is stale from the document's first later change", snapshotBehindTheLogIsStale),
    ]

    static func storedSnapshotReadsBack(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, Fixture.changes("d1", 1...2) + [Fixture.change("d1", .staff, seq: 1)])
        let shared = Fixture.snapshot("d1", changeCount: 2)
        let staff = Fixture.snapshot("d1", .staff, blob: Array(UInt8.min...UInt8.max), changeCount: 1)
        try storage.storeSnapshots([shared, staff], covering: 3)
        let record = try unwrap(try storage.storedSnapshot(dealership: "north", deal: shared.deal, document: .shared), "d1's shared snapshot")
        try expectEqual(record.snapshot, shared, "d1's shared snapshot")
        try expectEqual(record.covers, 3, "d1's shared covers")
        try expectEqual(record.staleFrom, nil, "d1's shared staleFrom")
        try expectEqual(record.rules, StoredSnapshot.currentRules, "d1's shared rules")
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: shared.deal, document: .staff)?.snapshot, staff, "d1's staff snapshot")
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d2"), document: .shared), nil, "d2's snapshot")
        try expectEqual(try storage.storedSnapshot(dealership: "south", deal: shared.deal, document: .shared), nil, "d1's snapshot asked of south")
    }

    static func appendMarksSnapshotStale(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, Fixture.changes("d1", 1...2))
        try storage.storeSnapshots([Fixture.snapshot("d1", changeCount: 2), Fixture.snapshot("d2", changeCount: 0)], covering: 2)
        _ = try Fixture.append(storage, [Fixture.change("d2", seq: 1), Fixture.change("d1", seq: 3)])
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 4)])
        let record = try unwrap(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d1"), document: .shared), "d1's snapshot")
        try expectEqual(record.staleFrom, 4, "d1's staleFrom after changes at 4 and 5")
        try expectEqual(record.covers, 2, "d1's covers")
        try expectEqual(record.snapshot, Fixture.snapshot("d1", changeCount: 2), "d1's blob, kept")
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d2"), document: .shared)?.staleFrom, 3, "d2's staleFrom")
        // A retried change appends nothing, and so leaves a fresh snapshot current.
        try storage.storeSnapshots([Fixture.snapshot("d1", changeCount: 4)], covering: 5)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 4)])
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d1"), document: .shared)?.staleFrom, nil,
                        "d1's staleFrom after a new snapshot and a retry")
    }

    static func olderSnapshotIsIgnored(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, Fixture.changes("d1", 1...3))
        let newer = Fixture.snapshot("d1", changeCount: 3)
        try storage.storeSnapshots([newer], covering: 3)
        try storage.storeSnapshots([Fixture.snapshot("d1", changeCount: 2)], covering: 2)
        let record = try unwrap(try storage.storedSnapshot(dealership: "north", deal: newer.deal, document: .shared), "d1's snapshot")
        try expectEqual(record.snapshot, newer, "d1's snapshot after an older one")
        try expectEqual(record.covers, 3, "d1's covers after an older one")
        try expectEqual(record.staleFrom, nil, "d1's staleFrom after an older one")
        // One covering as much replaces it.
        let same = Fixture.snapshot("d1", blob: [7, 7, 7], changeCount: 3)
        try storage.storeSnapshots([same], covering: 3)
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: newer.deal, document: .shared)?.snapshot, same,
                        "d1's snapshot after another covering as much")
    }

    static func snapshotBehindTheLogIsStale(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d2", seq: 1), Fixture.change("d1", seq: 2),
                                         Fixture.change("d1", seq: 3)])
        try storage.storeSnapshots([Fixture.snapshot("d1"), Fixture.snapshot("d2")], covering: 1)
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d1"), document: .shared)?.staleFrom, 3,
                        "d1's staleFrom, stored covering 1 with changes at 3 and 4")
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d2"), document: .shared)?.staleFrom, 2,
                        "d2's staleFrom, stored covering 1 with a change at 2")
    }
}
