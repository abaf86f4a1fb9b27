import DealCardKit
import SyncProtocol

/// One page of a first sync as the store has it: the next deals a token may see, in the
/// order of their ids, each with what the store holds for every document of it to send
/// (``RelayStorage/snapshotPage(_:)``).
public struct SnapshotPage: Sendable, Hashable {
    /// What a page is read for.
    public struct Request: Sendable, Hashable {
        /// The deals a token may see.
        public var deals: DealSelection
        /// Only deals whose id comes after this one (by bytes); nil from the first.
        public var after: DealID?
        /// The documents the token reads.
        public var documents: Set<DealDocumentKind>
        /// The log position the first sync serves: a stored snapshot that lacks a change of
        /// its document at or before it is ``Slot/build``.
        public var base: LogPosition
        /// Deals at most.
        public var limit: Int
        /// The page ends after the deal with which the stored blobs reach this many bytes.
        public var maxBytes: Int
        /// Leaves out archived deals: those whose analytics row is current, in a closed state
        /// and last changed before this time (milliseconds since 1970). Nil: every deal.
        public var closedBefore: Int64?

        public init(deals: DealSelection, after: DealID?, documents: Set<DealDocumentKind>, base: LogPosition, limit: Int, maxBytes: Int,
                    closedBefore: Int64? = nil) {
            self.deals = deals
            self.after = after
            self.documents = documents
            self.base = base
            self.limit = limit
            self.maxBytes = maxBytes
            self.closedBefore = closedBefore
        }
    }

    /// What the store holds for one document to send.
    public enum Slot: Sendable, Hashable {
        /// A stored snapshot holding every change of the document up to the page's base:
        /// served as it is.
        case stored([UInt8])
        /// The document has changes and no stored snapshot that may be served for the base
        /// (none yet, a change at or before the base came after it, or built under other
        /// rules): the relay builds it from the document.
        case build
    }

    /// One document of a deal and what the store holds for it.
    public struct Item: Sendable, Hashable {
        public var kind: DealDocumentKind
        public var slot: Slot

        public init(kind: DealDocumentKind, slot: Slot) {
            self.kind = kind
            self.slot = slot
        }
    }

    /// One deal of the page.
    public struct Deal: Sendable, Hashable {
        public var id: DealID
        /// The documents to send, `shared` before `staff`; those that hold no change are left
        /// out (a deal may have none: it still counts towards the page's limit).
        public var documents: [Item]

        public init(id: DealID, documents: [Item]) {
            self.id = id
            self.documents = documents
        }
    }

    /// At most `limit` deals, fewer when the stored blobs reached `maxBytes`.
    public var deals: [Deal]
    /// Whether the selection has deals after the last one of ``deals``.
    public var more: Bool

    public init(deals: [Deal], more: Bool) {
        self.deals = deals
        self.more = more
    }
}

/// The deals a token may see, as the store selects them (``Relay`` decides which).
public enum DealSelection: Sendable, Hashable {
    /// Every deal of the dealership.
    case dealership(String)
    /// The dealership's deals whose buyer is `user`.
    case buyer(dealership: String, user: String)
    /// One deal of the dealership (a token's deal scope), when it is registered.
    case deal(dealership: String, id: DealID)
    /// No deal.
    case none
}

extension SnapshotPage {
    /// The columns and joins of a first-sync page's query, per document of `kinds` (in that
    /// order), over a deal table aliased `d`: six columns each (whether a stored row exists,
    /// its blob, change count, first stale position and rules, and whether the document has
    /// a change or a base without a stored row), the same SQL in SQLite and PostgreSQL.
    static func slotSQL(_ kinds: [DealDocumentKind]) -> (columns: [String], joins: [String]) {
        var columns: [String] = []
        var joins: [String] = []
        for (index, kind) in kinds.enumerated() {
            let s = "s\(index)"
            // A document without a row (a store from before the table) counts as stale when the
            // log holds a change of it (or it has a compacted base).
            columns += [
                "\(s).deal_id IS NOT NULL", "\(s).blob", "\(s).change_count", "\(s).stale_from", "\(s).rules",
                """
                \(s).deal_id IS NULL AND (EXISTS (SELECT 1 FROM change_log c
                    WHERE c.dealership = d.dealership AND c.deal_id = d.id AND c.document = '\(kind.rawValue)')
                    OR EXISTS (SELECT 1 FROM document_base b
                    WHERE b.dealership = d.dealership AND b.deal_id = d.id AND b.document = '\(kind.rawValue)'))
                """,
            ]
            joins.append("""
                LEFT JOIN document_snapshot \(s)
                    ON \(s).dealership = d.dealership AND \(s).deal_id = d.id AND \(s).document = '\(kind.rawValue)'
                """)
        }
        return (columns, joins)
    }
}
