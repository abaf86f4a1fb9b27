import CRDT
import Foundation
import SQLiteKit

extension SQLiteRelayStorage {
    public func bindReplica(_ replica: ReplicaID, device: String, user: String, at date: Date) throws -> ReplicaBinding {
        try database.transaction { db in
            try db.execute(
                "INSERT INTO replica(replica, device, user_name, bound_at) VALUES (?, ?, ?, ?) ON CONFLICT(replica) DO NOTHING",
                arguments: [.replica(replica), .text(device), .text(user), .milliseconds(date)])
            let bindings = try db.query(
                "SELECT replica, device, user_name, bound_at FROM replica WHERE replica = ?", [.replica(replica)]
            ) { row in
                ReplicaBinding(replica: row.replicaID(at: 0), device: row.string(at: 1), user: row.string(at: 2), boundAt: row.date(at: 3))
            }
            guard let binding = bindings.first else { preconditionFailure("replica binding vanished inside its transaction") }
            return binding
        }
    }

    public func replicaBinding(_ replica: ReplicaID) throws -> ReplicaBinding? {
        try Self.binding(replica, in: database)
    }

    static func binding(_ replica: ReplicaID, in db: SQLiteDatabase) throws -> ReplicaBinding? {
        try db.query("SELECT replica, device, user_name, bound_at FROM replica WHERE replica = ?", [.replica(replica)]) { row in
            ReplicaBinding(replica: row.replicaID(at: 0), device: row.string(at: 1), user: row.string(at: 2), boundAt: row.date(at: 3))
        }.first
    }
}
