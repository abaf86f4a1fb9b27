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
    func firstSyncPage(token: TokenRecord, limit: Int, snapshotsAfter: DealID?, base: LogPosition, latest: LogPosition) throws -> SyncResponse {
        let started = ContinuousClock.now
        let page = try storage.snapshotPage(SnapshotPage.Request(
            deals: dealSelection(token), after: snapshotsAfter, documents: readableKinds(token), base: base, limit: limit,
            maxBytes: Relay.answerBytes))
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
            for item in deal.documents {
                let blob: [UInt8]
                switch item.slot {
                case .stored(let stored):
                    blob = stored
                case .build:
                    // The document in memory matches the log (``pull`` committed the waiting
                    // group first), so its snapshot covers `latest`; loading it from the log
                    // sets aside what cannot load.
                    let document = try document(token.dealership, deal.id, item.kind)
                    let encoded = document.encodeSnapshot()
                    metrics.snapshotsBuilt.increment()
                    built.append(StoredSnapshot(dealership: token.dealership, deal: deal.id, document: item.kind, blob: encoded,
                                                changeCount: document.history.count))
                    guard !document.history.isEmpty else { continue }
                    blob = encoded
                }
                bytes += blob.count
                snapshots.append(DocumentSnapshot(deal: deal.id, document: item.kind, snapshot: blob))
            }
        }
        if resumeAfter == nil && page.more { resumeAfter = page.deals.last?.id }
        storeBuilt(built, covering: latest)
        var response = SyncResponse(accepted: [], refused: [], snapshots: snapshots, changes: [],
                                    cursor: resumeAfter == nil ? base : .start, more: resumeAfter != nil || base < latest)
        response.snapshotsAfter = resumeAfter
        response.bootstrapCursor = resumeAfter == nil ? nil : base
        return response
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
    /// - Complexity: one encode per document changed, O(its ops), bounded by the budgets.
    func freshSnapshots(for entries: [NewLogEntry]) -> [StoredSnapshot] {
        var budget = Relay.snapshotBytesPerPush
        var seen: Set<RelaySyncState.DocumentKey> = []
        for waiting in sync.groupCommit.waiting {
            for entry in waiting.commit.entries {
                seen.insert(RelaySyncState.DocumentKey(dealership: entry.dealership, deal: entry.deal, document: entry.document))
            }
        }
        var snapshots: [StoredSnapshot] = []
        for entry in entries {
            let key = RelaySyncState.DocumentKey(dealership: entry.dealership, deal: entry.deal, document: entry.document)
            guard seen.insert(key).inserted, let cached = sync.cache.entry(key),
                  cached.storedBytes <= Relay.snapshotDocumentBytes, cached.storedBytes <= budget else { continue }
            budget -= cached.storedBytes
            snapshots.append(StoredSnapshot(dealership: entry.dealership, deal: entry.deal, document: entry.document,
                                            blob: cached.document.encodeSnapshot(), changeCount: cached.document.history.count))
        }
        return snapshots
    }
}
