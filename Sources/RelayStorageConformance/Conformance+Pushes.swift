import CRDT
import DealCardKit
import Foundation
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let pushChecks: [Check] = [
        Check("a push stores its bindings, deals, quarantine, entries, analytics rows and snapshots together", pushStoresEverything),
        Check("a push whose binding names another device stores nothing", conflictingBindingStoresNothing),
        Check("a push whose binding equals the stored one is stored", equalBindingPasses),
        Check("a push with a conflicting change stores nothing of it", conflictingPushStoresNothing),
        Check("a group commit refuses a bad push alone and stores its neighbours, one result per push in order", groupCommitIsolatesABadPush),
        Check("an empty push stores nothing", emptyPushStoresNothing),
    ]

    static func binding(_ replica: ReplicaID = Fixture.replica, device: String = "pc-1", user: String = "anna") -> ReplicaBinding {
        ReplicaBinding(replica: replica, device: device, user: user, boundAt: Fixture.now)
    }

    static func pushStoresEverything(_ storage: any RelayStorage) throws {
        let deal = Fixture.deal("d1", buyer: "boris")
        let refused = Fixture.quarantined("d1")
        let facts = Fixture.facts(state: "active", path: [.pc, .web])
        let snapshot = Fixture.snapshot("d1", changeCount: 2)
        let commit = PushCommit(bindings: [binding()], deals: [deal], quarantine: [refused], entries: Fixture.changes("d1", 1...2),
                                snapshots: [snapshot], analytics: [Fixture.row("d1", facts)])
        let records = try storage.commitPush(commit)
        try expectEqual(records.map(\.position), [1, 2], "positions of the push's entries")
        try expectEqual(records.map(\.entry), commit.entries, "entries of the push's records")
        try expectEqual(try storage.replicaBinding(Fixture.replica), binding(), "the push's binding")
        try expectEqual(try storage.deal(dealership: "north", id: deal.id), deal, "the push's deal")
        try expectEqual(try storage.quarantine(limit: 10).map(\.entry), [refused], "the push's quarantine")
        try expectEqual(try Fixture.positions(storage, of: "d1"), [1, 2], "d1's changes")
        try expectEqual(try Fixture.staleDeals(storage), [], "stale deals (the push brought d1's row)")
        let summary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), "north's analytics")
        try expectEqual(summary.totals, Fixture.totals([facts]), "north's totals")
        let stored = try unwrap(try storage.storedSnapshot(dealership: "north", deal: deal.id, document: .shared), "d1's stored snapshot")
        try expectEqual(stored.snapshot, snapshot, "d1's stored snapshot")
        try expectEqual(stored.covers, 2, "the snapshot covers the push's last entry")
        try expectEqual(stored.staleFrom, nil, "staleFrom of the push's snapshot")
    }

    static func conflictingBindingStoresNothing(_ storage: any RelayStorage) throws {
        _ = try storage.bindReplica(Fixture.replica, device: "tablet-9", user: "mallory", at: Fixture.now)
        let commit = PushCommit(bindings: [binding()], deals: [Fixture.deal("d1")], quarantine: [Fixture.quarantined("d1")],
                                entries: [Fixture.change("d1", seq: 1)], snapshots: [Fixture.snapshot("d1")],
                                analytics: [Fixture.row("d1", Fixture.facts())])
        try expectError(.conflictingBinding(replica: Fixture.replica), "commitPush with a binding taken by another device") {
            try storage.commitPush(commit)
        }
        try expectEqual(try storage.replicaBinding(Fixture.replica)?.device, "tablet-9", "the stored binding's device")
        try expectEqual(try storage.deal(dealership: "north", id: Fixture.id("d1")), nil, "the refused push's deal")
        try expectEqual(try storage.quarantine(limit: 10), [], "the quarantine")
        try expectEqual(try storage.latestPosition, .start, "latestPosition")
        try expectEqual(try storage.storedSnapshot(dealership: "north", deal: Fixture.id("d1"), document: .shared), nil, "d1's snapshot")
        // Another user on the same device is another binding too.
        _ = try storage.bindReplica(ReplicaID(8), device: "pc-1", user: "olga", at: Fixture.now)
        try expectError(.conflictingBinding(replica: ReplicaID(8)), "commitPush with a binding of another user") {
            try storage.commitPush(PushCommit(bindings: [binding(ReplicaID(8))], deals: [Fixture.deal("d1")]))
        }
        try expectEqual(try storage.dealIDs(dealership: "north"), [], "north's deals")
    }

    static func equalBindingPasses(_ storage: any RelayStorage) throws {
        let first = try storage.bindReplica(Fixture.replica, device: "pc-1", user: "anna", at: Fixture.now - 60)
        let records = try storage.commitPush(PushCommit(bindings: [binding()], deals: [Fixture.deal("d1")], entries: [Fixture.change("d1", seq: 1)]))
        try expectEqual(records.map(\.position), [1], "positions of the push")
        try expectEqual(try storage.replicaBinding(Fixture.replica), first, "the binding made first")
    }

    static func conflictingPushStoresNothing(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1)])
        let bad = Fixture.change("d1", seq: 1, blob: [0xFF])
        let commit = PushCommit(bindings: [binding(ReplicaID(9), device: "kiosk-1", user: "boris")], deals: [Fixture.deal("d9")],
                                quarantine: [Fixture.quarantined("d1")], entries: [Fixture.change("d2", seq: 1), bad])
        try expectError(.conflictingChange(deal: bad.deal, replica: bad.replica, changeSequence: 1), "commitPush with a conflicting change") {
            try storage.commitPush(commit)
        }
        try expectEqual(try storage.replicaBinding(ReplicaID(9)), nil, "the refused push's binding")
        try expectEqual(try storage.deal(dealership: "north", id: Fixture.id("d9")), nil, "the refused push's deal")
        try expectEqual(try storage.quarantine(limit: 10), [], "the quarantine")
        try expectEqual(try Fixture.positions(storage), [1], "changes")
        try expectEqual(try storage.latestPosition, 1, "latestPosition")
    }

    static func groupCommitIsolatesABadPush(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d2", seq: 1)])
        let bad = Fixture.change("d2", seq: 1, blob: [0xFF])
        let commits = [
            PushCommit(deals: [Fixture.deal("d4")], entries: [Fixture.change("d4", seq: 1)]),
            PushCommit(deals: [Fixture.deal("d5")], quarantine: [Fixture.quarantined("d5")], entries: [Fixture.change("d5", seq: 1), bad]),
            PushCommit(),
            PushCommit(entries: [Fixture.change("d1", seq: 1)]),
        ]
        let results = try storage.commitPushes(commits)
        try expectEqual(results.count, 4, "results of four pushes")
        guard results.count == 4 else { return }
        let first = try expectStored(results[0], "the first push")
        try expectEqual(first.map(\.entry), commits[0].entries, "the first push's records")
        switch results[1] {
        case .success(let records):
            try expect(false, "the second push: expected a conflicting change, got \(records)")
        case .failure(let error):
            try expectEqual(error.storageError, .conflictingChange(deal: bad.deal, replica: bad.replica, changeSequence: 1),
                            "the second push's storage error")
        }
        try expectEqual(try expectStored(results[2], "the empty push"), [], "the empty push's records")
        let last = try expectStored(results[3], "the last push")
        try expectEqual(last.map(\.entry), commits[3].entries, "the last push's records")
        try expect(first[0].position < last[0].position, "the pushes' positions follow their order: \(first) then \(last)")
        try expectEqual(try storage.deal(dealership: "north", id: Fixture.id("d5")), nil, "the failed push's deal")
        try expectEqual(try storage.quarantine(limit: 10), [], "the failed push's quarantine")
        try expectEqual(try Fixture.positions(storage, deals: ["d5"]), [], "the failed push's changes")
        try expectEqual(try Fixture.positions(storage), [1, first[0].position, last[0].position], "changes")
    }

    static func emptyPushStoresNothing(_ storage: any RelayStorage) throws {
        try expectEqual(try storage.commitPush(PushCommit()), [], "records of an empty push")
        let results = try storage.commitPushes([PushCommit(), PushCommit()])
        try expectEqual(results.count, 2, "results of two empty pushes")
        for result in results { try expectEqual(try expectStored(result, "an empty push in a group"), [], "records of an empty push in a group") }
        try expectEqual(try storage.latestPosition, .start, "latestPosition")
    }
}
