import CRDT
import DealCardKit
import SyncProtocol
import Foundation

/// A compacted deal document as the relay stores it: a shallow snapshot (the document's
/// state, and its changes after a horizon) that stands for every log entry of the document up
/// to `through`, which are gone from the log.
public struct DocumentBase: Sendable, Equatable {
    public var dealership: String
    public var deal: DealID
    public var document: DealDocumentKind
    /// Every change of the document with a log position up to this one is in `snapshot`.
    public var through: LogPosition
    /// The shallow snapshot (format version 2, ``CRDT/Document/encodeSnapshot(horizon:)``).
    public var snapshot: [UInt8]
    /// The horizon the snapshot was written at: per replica, the last seq left out of its
    /// history (every change of the document at or before `through`).
    public var horizon: VersionVector
    public var compactedAt: Date

    public init(dealership: String, deal: DealID, document: DealDocumentKind, through: LogPosition, snapshot: [UInt8],
                horizon: VersionVector, compactedAt: Date) {
        self.dealership = dealership
        self.deal = deal
        self.document = document
        self.through = through
        self.snapshot = snapshot
        self.horizon = horizon
        self.compactedAt = compactedAt
    }
}
