import CRDT
import DealCardKit

/// What a sync answer holds for one deal document: the document's snapshot on a first sync,
/// and changes from the relay's log, each with the bytes the relay sent.
///
/// ``DeviceStore/applyRemote(received:)`` applies them and stores the bytes as received: the
/// changes' blobs as change rows, and the snapshot blob as the document's snapshot when the
/// device had nothing of the document before.
public struct ReceivedChanges: Sendable, Equatable {
    /// A snapshot blob as received, with the changes it holds.
    public struct Snapshot: Sendable, Equatable {
        /// The snapshot blob (kind 02, `protocol-spec/encoding.md`), as received.
        public let blob: [UInt8]
        /// The blob's format version: 1 (the changes alone) or 2 (state and history).
        public let formatVersion: UInt8
        /// A version 1 blob's changes, decoded on arrival (applying them is how it loads).
        private let decoded: [Change]?

        /// The changes it holds, in the blob's (canonical) order.
        ///
        /// - Complexity: for a version 2 blob, decodes the blob's history on each call; a
        ///   store that takes the blob whole (``CRDT/Document/init(snapshot:replica:verifying:)``)
        ///   never asks.
        public var changes: [Change] {
            if let decoded { return decoded }
            do {
                return try Change.decodeSnapshot(blob)
            } catch {
                preconditionFailure("a snapshot checked on arrival no longer decodes: \(error)")
            }
        }

        /// Checks a received snapshot blob; the bytes are kept as they are.
        ///
        /// - Throws: ``DecodeError`` when the bytes are not a well-formed snapshot blob (a
        ///   version 2 blob is loaded to check it: its state and history must agree).
        public init(blob: [UInt8]) throws(DecodeError) {
            formatVersion = try Document.snapshotFormatVersion(blob)
            if formatVersion == 1 {
                decoded = try Change.decodeSnapshot(blob)
            } else {
                _ = try Document(snapshot: blob, replica: ReplicaID(UInt64.max))
                decoded = nil
            }
            self.blob = blob
        }

        public static func == (lhs: Snapshot, rhs: Snapshot) -> Bool { lhs.blob == rhs.blob }
    }

    public var deal: DealID
    public var document: DealDocumentKind
    /// The document's snapshot, on a first sync.
    public var snapshot: Snapshot?
    /// Changes from the relay's log, in log order (after the snapshot's, if any).
    public var changes: [EncodedChange]

    public init(deal: DealID, document: DealDocumentKind, snapshot: Snapshot? = nil, changes: [EncodedChange]) {
        self.deal = deal
        self.document = document
        self.snapshot = snapshot
        self.changes = changes
    }

    /// Changes that came without bytes of their own (from another store in-process, a test):
    /// they are stored in their canonical encoding.
    ///
    /// - Complexity: encodes every change.
    public init(deal: DealID, document: DealDocumentKind, changes: [Change]) {
        self.init(deal: deal, document: document, changes: changes.map(EncodedChange.init))
    }

    /// Every change, the snapshot's first, then the log's, in the order they are applied.
    package var allChanges: [Change] {
        (snapshot?.changes ?? []) + changes.map(\.change)
    }
}
