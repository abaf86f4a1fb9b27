import CRDT
import DealCardKit

/// Names one change of one deal document on the wire and in the outbox.
public struct ChangeRef: Hashable, Sendable, Codable, CustomStringConvertible {
    public var deal: DealID
    public var document: DealDocumentKind
    /// The replica id as 16 hex digits.
    public var replica: String
    public var seq: UInt64

    public init(deal: DealID, document: DealDocumentKind, change: ChangeID) {
        self.deal = deal
        self.document = document
        self.replica = change.replica.description
        self.seq = change.seq
    }

    /// The change id, if `replica` is well formed.
    public var changeID: ChangeID? {
        ReplicaID(hex: replica).map { ChangeID(replica: $0, seq: seq) }
    }

    public var description: String { "\(deal)/\(document.rawValue)/\(replica)/\(seq)" }
}

/// A local change waiting in the outbox for the relay's acknowledgement.
public struct OutboxItem: Sendable, Equatable {
    public var ref: ChangeRef
    /// The encoded change (a change blob, see protocol-spec/encoding.md).
    public var blob: [UInt8]
    /// Milliseconds since 1970 when it was made.
    public var createdAt: Int64

    public init(ref: ChangeRef, blob: [UInt8], createdAt: Int64) {
        self.ref = ref
        self.blob = blob
        self.createdAt = createdAt
    }
}
