import Foundation
import CRDT
import DealCardKit

/// A change the relay has accepted and is about to append to its change log.
///
/// A change is identified by (``dealership``, ``deal``, ``document``, ``replica``,
/// ``changeSequence``);
/// appending the same identity twice keeps the first (see ``RelayStorage/appendChanges(_:)``).
public struct NewLogEntry: Sendable, Hashable {
    /// The dealership the deal belongs to: deal ids are scoped by dealership, so two
    /// dealerships may each have a deal `dms-order-1002`.
    public var dealership: String
    /// The deal the change belongs to; it must have been registered with
    /// ``RelayStorage/insertDeal(_:)``.
    public var deal: DealID
    /// Which of the deal's two documents the change edits.
    public var document: DealDocumentKind
    /// The replica that made the change (stored as the bit pattern of an `Int64`).
    public var replica: ReplicaID
    /// The change's sequence number within its replica (stored as the bit pattern of an `Int64`).
    public var changeSequence: UInt64
    /// The encoded change, exactly as received.
    public var blob: [UInt8]
    /// Who made the change.
    public var author: LogAuthor
    /// When the relay received it (stored to the millisecond).
    public var receivedAt: Date

    public init(
        dealership: String, deal: DealID, document: DealDocumentKind, replica: ReplicaID, changeSequence: UInt64, blob: [UInt8],
        author: LogAuthor, receivedAt: Date
    ) {
        self.dealership = dealership
        self.deal = deal
        self.document = document
        self.replica = replica
        self.changeSequence = changeSequence
        self.blob = blob
        self.author = author
        self.receivedAt = receivedAt
    }
}
