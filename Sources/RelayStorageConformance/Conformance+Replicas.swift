import CRDT
import Foundation
import SyncServer

extension RelayStorageConformance {
    static let replicaChecks: [Check] = [
        Check("a replica is bound to its first user and device, whoever asks later", replicaIsBoundOnFirstUse),
        Check("a replica never bound has no binding", unknownReplicaHasNoBinding),
    ]

    static func replicaIsBoundOnFirstUse(_ storage: any RelayStorage) throws {
        // Beyond Int64.max: stored by its bit pattern.
        let replica = ReplicaID(UInt64.max - 5)
        let expected = ReplicaBinding(replica: replica, device: "kiosk-1", user: "boris", boundAt: Fixture.now)
        try expectEqual(try storage.bindReplica(replica, device: "kiosk-1", user: "boris", at: Fixture.now), expected, "the first binding")
        try expectEqual(try storage.bindReplica(replica, device: "tablet-9", user: "mallory", at: Fixture.now + 60), expected,
                        "bindReplica by another user and device")
        try expectEqual(try storage.bindReplica(replica, device: "kiosk-1", user: "boris", at: Fixture.now + 120), expected,
                        "bindReplica by the same user and device later")
        try expectEqual(try storage.replicaBinding(replica), expected, "replicaBinding")
        let other = try storage.bindReplica(ReplicaID(1), device: "pc-1", user: "anna", at: Fixture.now + 0.5)
        try expectEqual(other, ReplicaBinding(replica: ReplicaID(1), device: "pc-1", user: "anna", boundAt: Fixture.now + 0.5),
                        "another replica's first binding")
    }

    static func unknownReplicaHasNoBinding(_ storage: any RelayStorage) throws {
        _ = try storage.bindReplica(ReplicaID(1), device: "pc-1", user: "anna", at: Fixture.now)
        try expectEqual(try storage.replicaBinding(ReplicaID(2)), nil, "replicaBinding of a replica never bound")
        try expectEqual(try storage.replicaBinding(ReplicaID(1))?.user, "anna", "replicaBinding of the bound one")
    }
}
