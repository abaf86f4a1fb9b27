import CRDT
import Foundation

/// Which device a replica belongs to, fixed the first time the relay sees the replica.
///
/// A replica id is chosen by a device; binding it stops another device (or a tampered
/// client) from writing changes in its name.
public struct ReplicaBinding: Sendable, Hashable {
    /// The replica id.
    public var replica: ReplicaID
    /// The device that first used the replica (its name as the change metadata gives it).
    public var device: String
    /// The user of that device at the time.
    public var user: String
    /// When the binding was made (stored to the millisecond).
    public var boundAt: Date

    public init(replica: ReplicaID, device: String, user: String, boundAt: Date) {
        self.replica = replica
        self.device = device
        self.user = user
        self.boundAt = boundAt
    }

    /// Whether changes of this replica may come from `user` on `device`: both must be the
    /// ones it was bound to (compared apart, never as one joined text).
    public func allows(user: String, device: String) -> Bool {
        self.user == user && self.device == device
    }
}
