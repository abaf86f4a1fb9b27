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
        /// - Throws: ``DecodeError`` when a version 2 blob does not load (it is checked when
        ///   it is loaded, not on arrival).
        /// - Complexity: for a version 2 blob, loads it and decodes its history on each call;
        ///   a store that takes the blob whole (``CRDT/Document/init(snapshot:replica:verifying:)``)
        ///   never asks.
        public var changes: [Change] {
            get throws(DecodeError) {
                if let decoded { return decoded }
                return try Change.decodeSnapshot(blob)
            }
        }

        /// Checks a received snapshot blob's frame and checksum, and decodes a version 1
        /// blob's changes; the bytes are kept as they are. A version 2 blob is checked in
        /// full where it is loaded (once: a first sync of thousands of deals loaded each twice).
        ///
        /// - Throws: ``DecodeError`` when the bytes are not a snapshot blob this build reads.
        public init(blob: [UInt8]) throws(DecodeError) {
            formatVersion = try Document.snapshotFormatVersion(blob)
            decoded = formatVersion == 1 ? try Change.decodeSnapshot(blob) : nil
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
        get throws(DecodeError) { (try snapshot?.changes ?? []) + changes.map(\.change) }
    }
}
