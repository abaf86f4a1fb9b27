import Foundation
import CRDT
import DealCardKit

/// A change the relay refused, kept so an operator can see what was refused and why.
///
/// Unlike ``NewLogEntry`` the deal need not exist: a change may be refused precisely because
/// it names a deal its sender cannot reach.
public struct QuarantineEntry: Sendable, Hashable {
    /// The deal the change claimed to edit.
    public var deal: DealID
    /// The document it claimed to edit.
    public var document: DealDocumentKind
    /// The replica that made it.
    public var replica: ReplicaID
    /// Its sequence number within the replica.
    public var changeSequence: UInt64
    /// The encoded change, exactly as received.
    public var blob: [UInt8]
    /// The user whose token sent it.
    public var senderUser: String
    /// The device that sent it.
    public var senderDevice: String
    /// Why it was refused, for people.
    public var reason: String
    /// When it was refused (stored to the millisecond).
    public var quarantinedAt: Date

    public init(
        deal: DealID, document: DealDocumentKind, replica: ReplicaID, changeSequence: UInt64, blob: [UInt8],
        senderUser: String, senderDevice: String, reason: String, quarantinedAt: Date
    ) {
        self.deal = deal
        self.document = document
        self.replica = replica
        self.changeSequence = changeSequence
        self.blob = blob
        self.senderUser = senderUser
        self.senderDevice = senderDevice
        self.reason = reason
        self.quarantinedAt = quarantinedAt
    }
}
