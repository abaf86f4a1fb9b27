import DealCardKit
import SyncProtocol

/// A deal document's snapshot as the relay keeps it (table `document_snapshot`), so that a
/// first sync serves stored bytes instead of rebuilding every document from the log.
///
/// The blob is what ``CRDT/Document/encodeSnapshot()`` writes for the document, which is
/// byte for byte what a device that applied the same changes writes (protocol-spec/encoding.md).
/// It is stored with the log position it covers: every loadable change of the document with
/// a position up to it is in the blob (see ``RelayStorage/storeSnapshots(_:covering:)``).
public struct StoredSnapshot: Sendable, Hashable {
    /// The dealership of the deal (deal ids are scoped by dealership).
    public var dealership: String
    public var deal: DealID
    public var document: DealDocumentKind
    /// The snapshot blob.
    public var blob: [UInt8]
    /// The changes the blob holds; 0 for a document none of whose changes can be loaded
    /// (kept so that it is not built again, and never served: a first sync serves documents
    /// that hold a change).
    public var changeCount: Int

    public init(dealership: String, deal: DealID, document: DealDocumentKind, blob: [UInt8], changeCount: Int) {
        self.dealership = dealership
        self.deal = deal
        self.document = document
        self.blob = blob
        self.changeCount = changeCount
    }

    /// The rules stored snapshots are built under: the snapshot encoding and the engine rules
    /// that decide which stored changes load. A stored snapshot built under other rules is
    /// built again when a first sync needs it. Bump this with a change to either (a new
    /// snapshot format, a rule that sets aside entries that loaded before), so that no
    /// snapshot holding a now-unloadable entry, or in an old encoding, is ever served.
    public static let currentRules = 1
}

/// A stored snapshot with what the store knows of its freshness (tests and diagnostics).
public struct StoredSnapshotRecord: Sendable, Hashable {
    /// The snapshot; nil when its row says it must be built again.
    public var snapshot: StoredSnapshot?
    /// Every loadable change of the document up to this position is in the blob.
    public var covers: LogPosition
    /// The first change of the document appended after ``covers``, nil when none.
    public var staleFrom: LogPosition?
    /// The rules it was built under (``StoredSnapshot/currentRules`` when current).
    public var rules: Int
}
