import CRDT
import DealCardKit
import SyncProtocol
import Foundation

/// First syncs from stored snapshots.
///
/// The relay keeps each document's snapshot in its store (``StoredSnapshot``), so that a first
/// sync reads a page of blobs in one query instead of rebuilding and encoding every document.
/// Freshness is the store's business: every log append marks its document's snapshot stale
/// in the same transaction, so a stored snapshot that a page serves for base B holds every
/// change of its document at or before B. Snapshots are refreshed:
///
/// - in the push's own savepoint of its group commit, for the documents it changes that are
///   in memory anyway and small (``snapshotDocumentBytes``), within ``snapshotBytesPerPush`` a
///   request, unless another push waiting in the group changes them too;
/// - otherwise when a first sync needs one (stale for its base, built under other rules, or
///   missing: a store from before the table is filled this way, lazily), from the document
///   in memory or rebuilt from the log, and stored for the next one.
extension Relay {
    /// Documents whose stored changes weigh more are not encoded by a push, but by the next
    /// first sync that needs them (the stale mark keeps that correct): a push pays at most
    /// this much snapshot per document it changes, however large the document grows.
    static let snapshotDocumentBytes = 64 << 10
    /// Snapshot bytes one push encodes at most (estimated from the documents' stored bytes,
    /// before encoding); documents past it are left stale.
    static let snapshotBytesPerPush = 1 << 20
    /// A first sync's window for closed deals when the request names none.
    public static let defaultClosedDealDays = 30
    /// The widest window a request may name (100 years: every deal).
    public static let maxClosedDealDays = 36_500

    /// The deals a token may see, as the store selects them: the same as
    /// ``visibleDealIDs(_:)`` and ``canSee(_:_:)``.
    func dealSelection(_ token: TokenRecord) -> DealSelection {
        if let scopeText = token.deal {
            // A scope that is not a deal id (never issued so) reaches no deal.
            guard let scope = DealID(scopeText) else { return .none }
            return .deal(dealership: token.dealership, id: scope)
        }
        if token.role == .buyer && !token.isRelay { return .buyer(dealership: token.dealership, user: token.user) }
        return .dealership(token.dealership)
    }

    /// One page of a first sync, served from stored snapshots (protocol-spec/sync.md, "A
    /// first sync in pages"): at most `limit` deals, fewer when their snapshots reach about
    /// ``answerBytes`` or the page has taken ``timeBudget``; at least one deal.
    ///
    /// - Parameters:
    ///   - base: the log position the first page read up to: every snapshot served holds
    ///     every change of its document at or before it (the device pulls changes after it).
    ///   - latest: the log's last position now; snapshots built here cover it.
    /// - Complexity: one query for the page; one document load or encode for each document
    ///   whose stored snapshot is missing or stale for `base`, none for the others.
    ///   - closedDealDays: deals in a closed state last changed more than this many days before
    ///     `now` are left out (archived); nil sends every deal.
    func firstSyncPage(token: TokenRecord, limit: Int, snapshotsAfter: DealID?, base: LogPosition, latest: LogPosition,
                       closedDealDays: Int? = nil, now: Date = Date()) throws -> SyncResponse {
        let started = ContinuousClock.now
        let request = firstSyncRequest(token: token, limit: limit, snapshotsAfter: snapshotsAfter, base: base,
                                       closedDealDays: closedDealDays, now: now)
        let page = try storage.snapshotPage(request)
        let archived = try page.more ? nil : request.closedBefore.map { try storage.archivedDealCount(request.deals, closedBefore: $0) }
        return try answer(page, archivedDeals: archived, of: request, token: token, latest: latest, closedDealDays: closedDealDays,
                          started: started)
    }

    /// ``firstSyncPage(token:limit:snapshotsAfter:base:latest:closedDealDays:now:)`` with the
    /// page read off the actor, through the snapshot reader's own connection: only the
    /// documents whose stored snapshot cannot be served are built on the actor. Other requests
    /// run while the page is read.
    func firstSyncPageOffActor(token: TokenRecord, limit: Int, snapshotsAfter: DealID?, base: LogPosition, latest: LogPosition,
                               closedDealDays: Int?, now: Date = Date()) async throws -> SyncResponse {
        let started = ContinuousClock.now
        let request = firstSyncRequest(token: token, limit: limit, snapshotsAfter: snapshotsAfter, base: base,
                                       closedDealDays: closedDealDays, now: now)
        let reader = try snapshotPageReader()
        let (page, archived) = try await Self.readPage(request, with: reader)
        guard !isClosed else { throw RelayStorageError.storeClosed }
        // Pushes decided while the page was read wait for their group commit with their changes
        // in the documents in memory: committed first, so a snapshot built here holds no change
        // the log may yet refuse.
        flushGroupCommit()
        return try answer(page, archivedDeals: archived, of: request, token: token, latest: try storage.latestPosition,
                          closedDealDays: closedDealDays, started: started)
    }

    /// Reads a page through `reader`, off the actor.
    @concurrent
    private nonisolated static func readPage(_ request: SnapshotPage.Request,
                                             with reader: any SnapshotPageReader) async throws -> (page: SnapshotPage, archivedDeals: Int?) {
        try reader.page(request)
    }

    /// The reader of first-sync pages, opened on first use.
    private func snapshotPageReader() throws -> any SnapshotPageReader {
        guard !isClosed else { throw RelayStorageError.storeClosed }
        if let reader = snapshotReader.withLock({ $0 }) { return reader }
        let reader = try storage.makeSnapshotReader()
        snapshotReader.withLock { $0 = reader }
        return reader
    }

    /// The store's page request of a first sync.
    private func firstSyncRequest(token: TokenRecord, limit: Int, snapshotsAfter: DealID?, base: LogPosition,
                                  closedDealDays: Int?, now: Date) -> SnapshotPage.Request {
        SnapshotPage.Request(deals: dealSelection(token), after: snapshotsAfter, documents: readableKinds(token), base: base,
                             limit: limit, maxBytes: Relay.answerBytes,
                             closedBefore: closedDealDays.map { DealAnalytics.idleBefore(now: now, idleDays: $0) })
    }

    /// The answer for a page read: its snapshots (stored ones as they are, the others built
    /// from the documents, which must match the log: the caller committed the waiting group),
    /// cut after the deal that brings it to ``answerBytes`` or ``timeBudget``.
    ///
    /// - Parameter latest: the log's last position now; snapshots built here cover it.
    private func answer(_ page: SnapshotPage, archivedDeals: Int?, of request: SnapshotPage.Request, token: TokenRecord,
                        latest: LogPosition, closedDealDays: Int?, started: ContinuousClock.Instant) throws -> SyncResponse {
        let base = request.base
        var snapshots: [DocumentSnapshot] = []
        var built: [StoredSnapshot] = []
        var bytes = 0
        var resumeAfter: DealID?
        for (index, deal) in page.deals.enumerated() {
            // A deal is never split; the one before always went.
            if index > 0 && (bytes >= Relay.answerBytes || ContinuousClock.now - started > Relay.timeBudget) {
                resumeAfter = page.deals[index - 1].id
                break
            }
            for snapshot in try documentSnapshots(of: deal, dealership: token.dealership, built: &built) {
                bytes += snapshot.blob.count
                snapshots.append(DocumentSnapshot(deal: deal.id, document: snapshot.kind, snapshot: snapshot.blob))
            }
        }
        if resumeAfter == nil && page.more { resumeAfter = page.deals.last?.id }
        storeBuilt(built, covering: latest)
        var response = SyncResponse(accepted: [], refused: [], snapshots: snapshots, changes: [],
                                    cursor: resumeAfter == nil ? base : .start, more: resumeAfter != nil || base < latest)
        response.snapshotsAfter = resumeAfter
        response.bootstrapCursor = resumeAfter == nil ? nil : base
        response.closedDealDays = closedDealDays
        if resumeAfter == nil { response.archivedDeals = archivedDeals }
        return response
    }

    /// The snapshot blobs of one deal of a page: stored ones as they are, the others built
    /// from the document (and added to `built`, to be stored). A document without a change
    /// is left out.
    private func documentSnapshots(of deal: SnapshotPage.Deal, dealership: String,
                           built: inout [StoredSnapshot]) throws -> [(kind: DealDocumentKind, blob: [UInt8])] {
        var blobs: [(kind: DealDocumentKind, blob: [UInt8])] = []
        for item in deal.documents {
            switch item.slot {
            case .stored(let stored):
                blobs.append((item.kind, stored))
            case .build:
                // The document in memory matches the log (``pull`` committed the waiting group
                // first), so its snapshot covers the log's last position; loading it from the
                // log sets aside what cannot load.
                let document = try document(dealership, deal.id, item.kind)
                let encoded = document.encodeSnapshot()
                metrics.snapshotsBuilt.increment()
                built.append(StoredSnapshot(dealership: dealership, deal: deal.id, document: item.kind, blob: encoded,
                                            changeCount: document.appliedChangeCount))
                guard document.hasChanges else { continue }
                blobs.append((item.kind, encoded))
            }
        }
        return blobs
    }

    /// What a later sync's ``SyncRequest/fetch`` gets: each deal the token may see, whole
    /// (every document it reads, as of `latest`), in the order asked, until the answer's
    /// bytes reach ``answerBytes`` (one deal always goes); the ones it may not see.
    struct FetchedDeals {
        var snapshots: [DocumentSnapshot] = []
        var unknown: [DealID] = []
        var bytes = 0
        /// Whether deals were left for the next request.
        var isCut = false
    }

    /// See ``FetchedDeals``. Archived or not, a deal comes whole; from then on its changes
    /// come like any other's, since a pull reads every deal the token sees.
    func fetchedDeals(_ fetch: [DealID], token: TokenRecord, latest: LogPosition) throws -> FetchedDeals {
        var result = FetchedDeals()
        guard !fetch.isEmpty else { return result }
        var built: [StoredSnapshot] = []
        var seen: Set<DealID> = []
        let kinds = readableKinds(token)
        for id in fetch where seen.insert(id).inserted {
            if result.bytes >= Relay.answerBytes {
                result.isCut = true
                break
            }
            guard let deal = try storage.deal(dealership: token.dealership, id: id), canSee(deal, token) else {
                result.unknown.append(id)
                continue
            }
            let page = try storage.snapshotPage(SnapshotPage.Request(
                deals: .deal(dealership: token.dealership, id: id), after: nil, documents: kinds, base: latest, limit: 1,
                maxBytes: Relay.answerBytes))
            for pageDeal in page.deals {
                for snapshot in try documentSnapshots(of: pageDeal, dealership: token.dealership, built: &built) {
                    result.bytes += snapshot.blob.count
                    result.snapshots.append(DocumentSnapshot(deal: id, document: snapshot.kind, snapshot: snapshot.blob))
                }
            }
        }
        storeBuilt(built, covering: latest)
        return result
    }

    /// Keeps snapshots a first sync built for the next one. A failure costs only that: the
    /// answer is right either way, and the next first sync builds them again.
    private func storeBuilt(_ built: [StoredSnapshot], covering position: LogPosition) {
        guard !built.isEmpty else { return }
        do {
            try storage.storeSnapshots(built, covering: position)
        } catch {
            log.log("snapshots_not_stored", ["count": .integer(Int64(built.count)), "error": .string("\(error)")])
        }
    }

    /// Fresh snapshots of the documents that `entries` change, encoded from the documents in
    /// memory (which the push deciding them has just brought up to date), for
    /// ``PushCommit/snapshots``: only documents of at most ``snapshotDocumentBytes``, within
    /// ``snapshotBytesPerPush`` in all. The others stay stale until a first sync needs them.
    ///
    /// Call it before the push joins the group commit. A document that a push still waiting
    /// there changes is left out: memory holds that push's changes too, and the storage may
    /// yet refuse it alone (``RelayStorage/commitPushes(_:)``), so such a snapshot could hold
    /// a change the log never gets. Without one, the document in memory is what the log holds
    /// once this push is in, which is what its savepoint stores the snapshot with.
    ///
    /// - Complexity: one encode per document changed, O(its ops), bounded by the budgets;
    ///   nothing per push waiting in the group (``RelayGroupCommit/changedDocuments``).
    func freshSnapshots(for entries: [NewLogEntry]) -> [StoredSnapshot] {
        var budget = Relay.snapshotBytesPerPush
        var seen: Set<RelaySyncState.DocumentKey> = []
        var snapshots: [StoredSnapshot] = []
        for entry in entries {
            let key = RelaySyncState.DocumentKey(dealership: entry.dealership, deal: entry.deal, document: entry.document)
            guard !sync.groupCommit.changedDocuments.contains(key), seen.insert(key).inserted, let cached = sync.cache.entry(key),
                  cached.storedBytes <= Relay.snapshotDocumentBytes, cached.storedBytes <= budget else { continue }
            budget -= cached.storedBytes
            snapshots.append(StoredSnapshot(dealership: entry.dealership, deal: entry.deal, document: entry.document,
                                            blob: cached.document.encodeSnapshot(), changeCount: cached.document.appliedChangeCount))
        }
        return snapshots
    }
}
