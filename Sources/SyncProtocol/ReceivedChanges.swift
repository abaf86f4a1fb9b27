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
        /// The changes it holds, in the blob's (canonical) order.
        public let changes: [Change]

        /// Decodes a received snapshot blob; the bytes are kept as they are.
        ///
        /// - Throws: ``DecodeError`` when the bytes are not a well-formed snapshot blob.
        public init(blob: [UInt8]) throws(DecodeError) {
            self.changes = try Change.decodeSnapshot(blob)
            self.blob = blob
        }
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
