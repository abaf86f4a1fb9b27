import CRDT
import SyncProtocol
import Foundation
import DealCardKit

/// Everything the relay keeps durably: tokens, deals, the change log, replica bindings,
/// quarantined changes, idempotency keys and, for a showroom relay, its positions with its
/// upstream.
///
/// A protocol so that a shared PostgreSQL backend can stand beside the embedded
/// ``SQLiteRelayStorage`` when the relay runs as several stateless nodes.
///
/// **One owner.** Implementations are not thread-safe and not `Sendable`: the relay holds
/// its storage inside one actor (``Relay``) and makes every call from there. A method that
/// returns has finished its work; a method that writes has committed before it returns.
///
/// Times are passed in by the caller (the storage reads no clock) and kept to the millisecond.
public protocol RelayStorage: AnyObject {
    // MARK: Tokens

    /// Stores a newly issued token.
    /// - Throws: ``RelayStorageError/duplicateToken(id:)`` when the id or hash is taken.
    func insertToken(_ token: TokenRecord) throws
    /// The token whose stored hash is `hash`, revoked and expired ones included.
    func token(forHash hash: String) throws -> TokenRecord?
    /// Every token, oldest first.
    func tokens() throws -> [TokenRecord]
    /// Marks the token revoked; revoking twice is harmless.
    /// - Throws: ``RelayStorageError/unknownToken(id:)`` when no token has `id`.
    func revokeToken(id: String) throws

    // MARK: Deals

    /// Registers a deal. Registering the same values again does nothing. Deal ids are
    /// scoped by dealership: another dealership's deal of the same id is another deal.
    /// - Throws: ``RelayStorageError/conflictingDeal(id:)`` when the id is registered in the
    ///   deal's dealership with other values.
    func insertDeal(_ deal: DealRecord) throws
    /// The deal of `dealership` with `id`, if registered.
    func deal(dealership: String, id: DealID) throws -> DealRecord?
    /// The ids of every deal of `dealership`, in id order.
    func dealIDs(dealership: String) throws -> [DealID]
    /// The ids of a dealership's deals whose buyer is `buyerUser`, ascending (one indexed
    /// query: what a buyer token may see).
    func dealIDs(dealership: String, buyerUser: String) throws -> [DealID]

    // MARK: Change log

    /// Appends accepted changes in one transaction, committed before returning, and returns
    /// one record per entry, in order.
    ///
    /// The storage is the authority on the log, whatever the caller's memory holds: an entry
    /// whose (dealership, deal, document, replica, change sequence) is already in the log (or
    /// earlier in `entries`) with the same bytes is not appended again (the existing record
    /// is returned, so a retried push is idempotent); with other bytes it is refused; and an
    /// entry must be its replica's next change in that document. When any entry fails,
    /// nothing of the call is stored. The stored snapshot of each document an entry is
    /// appended to is marked stale in the same transaction.
    ///
    /// `analytics` are the rows of the deals the entries change, computed from their
    /// documents with the entries applied, stored in the same transaction. A deal that gets an
    /// entry and no row here has its row marked stale, to be computed again from its
    /// documents before the next report (``staleAnalyticsDeals(limit:)``).
    /// - Throws: ``RelayStorageError/unknownDeal(id:)``,
    ///   ``RelayStorageError/conflictingChange(deal:replica:changeSequence:)``,
    ///   ``RelayStorageError/notNextChange(deal:replica:changeSequence:expected:)``; SQLite errors.
    func appendChanges(_ entries: [NewLogEntry], analytics: [DealAnalyticsRow]) throws -> [LogRecord]
    /// Stores everything one push decided in one transaction: bindings (each must be new, or
    /// equal to the stored one), deals (as ``insertDeal(_:)``), quarantine entries, the
    /// log entries and the analytics rows of their deals (as ``appendChanges(_:analytics:)``)
    /// and the snapshots of the documents they change (as ``storeSnapshots(_:covering:)``,
    /// covering the last entry appended). When anything fails, nothing is stored.
    /// - Throws: ``RelayStorageError/conflictingBinding(replica:)`` and what the parts throw.
    func commitPush(_ commit: PushCommit) throws -> [LogRecord]
    /// Commits several pushes together (one transaction, one fsync where the storage can),
    /// each refused or stored on its own, with one result per push in order; throws, storing
    /// nothing, when the group's transaction fails.
    func commitPushes(_ commits: [PushCommit]) throws -> [Result<[LogRecord], RelayCommitError>]
    /// Up to `limit` changes with a log position above `cursor`, ascending, limited
    /// to `dealIDs` (every deal when nil) and to `documents`, and to about `maxBytes` of
    /// blobs: rows are read until their blobs reach `maxBytes` (the first row always counts,
    /// whatever it weighs, so a reader always makes progress). Unloadable entries are skipped.
    /// With a `dealership`, only its deals (`dealIDs` are then ids of that dealership); nil
    /// reads every dealership's (a relay forwarding its whole log upstream).
    func changes(after cursor: LogPosition, dealership: String?, dealIDs: Set<DealID>?, documents: Set<DealDocumentKind>, limit: Int,
                 maxBytes: Int) throws -> [LogRecord]
    /// Every change of one document of one deal, ascending, unloadable entries left out.
    func changes(dealership: String, deal: DealID, document: DealDocumentKind) throws -> [LogRecord]
    /// The highest log position given so far (``LogPosition/start`` for an empty log); it
    /// never goes back, even when the newest entries are gone.
    var latestPosition: LogPosition { get throws }

    /// The position and document of every entry after `cursor` up to the log's head
    /// (``latestPosition``), read with them in one look, ascending. A relay node over a shared
    /// storage asks this to learn what other nodes appended since it last looked
    /// (``isShared``).
    func documentsChanged(after cursor: LogPosition) throws -> (entries: [ChangedDocument], head: LogPosition)
    /// Whether other relay nodes may append to this storage while this one runs (a shared
    /// database): a node then checks ``documentsChanged(after:)`` before it trusts the
    /// documents it holds in memory. False for a store only one relay opens.
    var isShared: Bool { get }

    /// Marks a stored entry unloadable (see ``changes(after:dealership:dealIDs:documents:limit:maxBytes:)``):
    /// it stays in the log, is no longer served or replayed, and is copied to the quarantine
    /// with `reason` so that an operator sees it; its document's stored snapshot must be built
    /// again. Marking twice does nothing.
    func markUnloadable(_ record: LogRecord, reason: String, at date: Date) throws
    /// The log positions of the entries marked unloadable, ascending.
    func unloadablePositions() throws -> [LogPosition]

    // MARK: Compaction

    /// The compacted base of one document, if it was compacted (``compact(_:)``).
    func documentBase(dealership: String, deal: DealID, document: DealDocumentKind) throws -> DocumentBase?
    /// Compacts one document in one transaction: stores `base` (replacing an earlier one, which
    /// must not reach further), deletes every log entry of the document up to `base.through`,
    /// and raises ``compactedThrough`` to it. Returns how many log entries were deleted.
    /// Deletes the document's stored first-sync snapshot too (it holds the whole history).
    /// A document with an entry set aside as unloadable at or before `base.through` is not
    /// compacted.
    /// - Throws: ``RelayStorageError/compactionBehind(deal:through:stored:)``,
    ///   ``RelayStorageError/compactionBlocked(deal:document:reason:)``; SQLite errors.
    @discardableResult
    func compact(_ base: DocumentBase) throws -> Int
    /// Takes an upstream relay's compacted document as this relay's base, in one
    /// transaction: stores `base` (its horizon is the snapshot's whole version: every change
    /// the base holds, whether in its history or not, so an author's next change is known),
    /// deletes the log entries at `positions` (of that document: those the base holds, and
    /// those that cannot be applied on top of it, kept in `quarantine`) and the document's
    /// entries set aside as unloadable (in the quarantine already), and deletes the
    /// document's stored first-sync snapshot. Then moves the log's last position on by one,
    /// with no entry there, and raises ``compactedThrough`` to it: every reader with an
    /// earlier cursor lacks what the base brought, and syncs again from 0.
    ///
    /// - Returns: the new ``compactedThrough``.
    @discardableResult
    func adopt(_ base: DocumentBase, removing positions: [LogPosition], quarantine: [QuarantineEntry]) throws -> LogPosition
    /// The last log position up to which every entry was received before `cutoff` (the
    /// position before the first entry received at or after it; the log's last when there is
    /// none; ``LogPosition/start`` for an empty log).
    func lastPosition(receivedBefore cutoff: Date) throws -> LogPosition
    /// The documents that hold a log entry at or before `position`, in (dealership, deal,
    /// document) order.
    func documents(withEntriesThrough position: LogPosition) throws -> [(dealership: String, deal: DealID, document: DealDocumentKind)]
    /// The furthest log position any document was compacted through (``LogPosition/start``
    /// when none was): a reader whose cursor is behind it may have missed deleted entries.
    var compactedThrough: LogPosition { get throws }

    // MARK: Stored snapshots

    /// One page of a first sync: the deals of `request.deals` after `request.after`, in id
    /// order, each with a ``SnapshotPage/Slot`` for every document of `request.documents`
    /// that holds a change, read in one query. The page ends after `request.limit` deals, or
    /// earlier after the deal with which the stored blobs reach `request.maxBytes`.
    ///
    /// A document is ``SnapshotPage/Slot/stored(_:)`` only when its stored snapshot holds
    /// every loadable change of it up to `request.base`; a document the store has no row for
    /// (an old store, filled lazily) is ``SnapshotPage/Slot/build`` when the log holds a
    /// change of it.
    func snapshotPage(_ request: SnapshotPage.Request) throws -> SnapshotPage
    /// How many deals of `deals` a first sync with ``SnapshotPage/Request/closedBefore`` =
    /// `closedBefore` leaves out (archived: current analytics row, closed state, last change
    /// before it).
    func archivedDealCount(_ deals: DealSelection, closedBefore: Int64) throws -> Int
    /// A reader of first-sync pages over its own connection, for use off the relay's actor
    /// (``SnapshotPageReader``).
    func makeSnapshotReader() throws -> any SnapshotPageReader
    /// Stores snapshots in one transaction, each covering `position`: the caller promises that
    /// each blob holds every loadable change of its document with a position up to it (it
    /// built them from documents that match the log at `position`). A snapshot covering less
    /// than the stored one is not stored. Changes of the document after `position` mark it
    /// stale at once.
    func storeSnapshots(_ snapshots: [StoredSnapshot], covering position: LogPosition) throws
    /// The stored snapshot row of one document, if any (tests and diagnostics).
    func storedSnapshot(dealership: String, deal: DealID, document: DealDocumentKind) throws -> StoredSnapshotRecord?

    // MARK: Analytics rows

    /// Up to `limit` deals whose analytics rows are stale (appended to without a row, set
    /// aside entries, rows of other rules, or a store that had no rows), in (dealership, id)
    /// order.
    func staleAnalyticsDeals(limit: Int) throws -> [(dealership: String, deal: DealID)]
    /// Stores rows computed from the deals' documents, in one transaction: each replaces the
    /// deal's row and makes it current; one without facts removes it. The dealerships'
    /// ``AnalyticsTotals`` move with them.
    func saveAnalyticsRows(_ rows: [DealAnalyticsRow]) throws
    /// The rules the stored rows were computed under (``restartAnalytics(rules:)``); nil for a
    /// store whose rows were never computed.
    func analyticsRules() throws -> String?
    /// Marks every row stale and records `rules` as those rows are computed under from now
    /// on, in one transaction.
    func restartAnalytics(rules: String) throws
    /// A second way into the store, read-only, for `GET /v1/analytics`: usable from any
    /// thread while the relay's own calls go on, each report in one read transaction.
    func makeAnalyticsReader() throws -> any DealAnalyticsReader

    // MARK: Replicas

    /// Binds `replica` to `user` on `device` on first use; afterwards returns the existing
    /// binding, whoever asks. The caller refuses changes whose binding names another user or
    /// device (``ReplicaBinding/allows(user:device:)``).
    func bindReplica(_ replica: ReplicaID, device: String, user: String, at date: Date) throws -> ReplicaBinding
    /// The stored binding of `replica`, if any.
    func replicaBinding(_ replica: ReplicaID) throws -> ReplicaBinding?

    // MARK: Quarantine

    /// Keeps a refused change; returns its id.
    @discardableResult
    func insertQuarantine(_ entry: QuarantineEntry) throws -> Int64
    /// The most recently quarantined changes, newest first, at most `limit`.
    func quarantine(limit: Int) throws -> [QuarantineRecord]

    // MARK: Idempotency keys

    /// The response stored under `key` (this dealership's, this user's), if any.
    func idempotentResponse(for key: IdempotencyKey) throws -> StoredResponse?
    /// Stores `response`, with its request digest, under `key`; the first response stored
    /// under a key is kept.
    func storeIdempotentResponse(_ response: StoredResponse, for key: IdempotencyKey, at date: Date) throws

    // MARK: Upstream

    /// Where this relay has come with the upstream relay at `upstream` (its base URL), nil
    /// when it never synced with it. A position belongs to one upstream: another URL starts
    /// from ``UpstreamPosition/start``, since cursors of one relay mean nothing to another.
    func upstreamPosition(upstream: String) throws -> UpstreamPosition?
    /// Stores the position with the upstream at `upstream`, replacing the one kept.
    func saveUpstreamPosition(_ position: UpstreamPosition, upstream: String) throws

    // MARK: Housekeeping

    /// The size of the store in bytes, for metrics.
    var storeSizeBytes: Int64 { get throws }
    /// Releases the store (and its lock). Calling anything afterwards is a programming error.
    func close()
}

extension RelayStorage {
    public var isShared: Bool { false }

    /// One transaction per push: a storage that cannot group them.
    public func commitPushes(_ commits: [PushCommit]) throws -> [Result<[LogRecord], RelayCommitError>] {
        commits.map { commit in Result { try commitPush(commit) }.mapError { RelayCommitError($0) } }
    }

    /// Appends accepted changes, their deals' analytics rows marked stale; see
    /// ``appendChanges(_:analytics:)``.
    public func appendChanges(_ entries: [NewLogEntry]) throws -> [LogRecord] {
        try appendChanges(entries, analytics: [])
    }

    /// Up to `limit` changes after `cursor`, however many bytes they weigh.
    public func changes(after cursor: LogPosition, dealership: String?, dealIDs: Set<DealID>?, documents: Set<DealDocumentKind>,
                        limit: Int) throws -> [LogRecord] {
        try changes(after: cursor, dealership: dealership, dealIDs: dealIDs, documents: documents, limit: limit, maxBytes: .max)
    }

    /// Binds `replica` as of now; see ``bindReplica(_:device:user:at:)``.
    public func bindReplica(_ replica: ReplicaID, device: String, user: String) throws -> ReplicaBinding {
        try bindReplica(replica, device: device, user: user, at: Date())
    }

    /// Stores `response` under `key` as of now; see ``storeIdempotentResponse(_:for:at:)``.
    public func storeIdempotentResponse(_ response: StoredResponse, for key: IdempotencyKey) throws {
        try storeIdempotentResponse(response, for: key, at: Date())
    }
}
