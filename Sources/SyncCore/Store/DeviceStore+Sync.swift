import CRDT
import DealCardKit
import SyncProtocol
import Foundation

extension DeviceStore {
    /// Local changes not yet acknowledged by the relay, oldest first.
    public func outbox(limit: Int = 10_000) throws(StoreError) -> [OutboxItem] {
        do {
            return try OutboxRow.oldest(limit: limit, in: db).map(\.item)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// How many changes wait in the outbox.
    public func outboxCount() throws(StoreError) -> Int {
        do { return try OutboxRow.count(in: db) } catch { throw StoreError.wrap(error) }
    }

    /// Removes acknowledged changes from the outbox (idempotent).
    public func acknowledge(_ refs: [ChangeRef]) throws(StoreError) {
        do {
            try db.transaction { db in
                for ref in refs {
                    guard let id = ref.changeID else { continue }
                    try OutboxRow.delete(deal: ref.deal, document: ref.document, change: id, in: db)
                }
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Applies changes received from a relay to a deal document (creating the deal if it is
    /// new here), commits them, and tells observers. Changes whose dependencies are missing
    /// wait in the document's pending set; duplicates are ignored.
    @discardableResult
    public func applyRemote(_ deal: DealID, _ kind: DealDocumentKind, _ changes: [Change]) throws(StoreError) -> Document.ApplyReport {
        try applyRemote(received: [ReceivedChanges(deal: deal, document: kind, changes: changes)])[0]
    }

    /// Applies many documents' changes in one transaction, as ``applyRemote(received:)`` does;
    /// the changes are stored in their canonical encoding.
    @discardableResult
    public func applyRemote(batch: [(deal: DealID, document: DealDocumentKind, changes: [Change])]) throws(StoreError) -> [Document.ApplyReport] {
        try applyRemote(received: batch.map { ReceivedChanges(deal: $0.deal, document: $0.document, changes: $0.changes) })
    }

    /// Applies many documents' received changes (a sync answer) in one transaction: one
    /// commit instead of one per document, which is what makes a first sync of thousands of
    /// deals fast. On any failure nothing of the batch is kept, in memory or on disk.
    ///
    /// What was received is stored as received: each change row holds the bytes the relay
    /// sent, and a snapshot of a document the device had nothing of becomes the document's
    /// snapshot row as it is (rather than a row per change it holds) when it loads cleanly.
    @discardableResult
    public func applyRemote(received: [ReceivedChanges]) throws(StoreError) -> [Document.ApplyReport] {
        for item in received where !schema.canRead(role: identity.role, document: item.document) {
            throw .documentNotReadable(role: identity.role, document: item.document)
        }
        var touched: [DocumentKey] = []
        var reports: [Document.ApplyReport] = []
        var events: [StoreEvent] = []
        // The deals that got rows, in the order first written: each gets its summary once, after
        // every document of it in the answer is applied (a summary reads the whole card).
        var written: [DealID] = []
        var isWritten = Set<DealID>()
        // Deals this answer created: none of their documents is on disk, so none is looked for.
        var created = Set<DealID>()
        // Documents that were not in memory before the answer (see `forgetDocuments(_:)`).
        var loaded: [DocumentKey] = []
        do {
            let now = clock()
            try db.transaction { db in
                for item in received {
                    let (deal, kind) = (item.deal, item.document)
                    if !created.contains(deal), try DealRow(id: deal, createdAt: now, updatedAt: now).insertIfMissing(in: db) {
                        created.insert(deal)
                    }
                    let key = DocumentKey(deal: deal, kind: kind)
                    if documents[key] == nil { loaded.append(key) }
                    let existing = try (created.contains(deal) ? documents[key] : self.document(deal, kind)) ?? Document(replica: identity.replica)
                    let (before, pendingBefore) = (existing.version, Set(existing.pendingChanges))
                    touched.append(key)
                    if let adopted = try adoptIfBehind(item, over: existing, now: now, in: db) {
                        // The relay compacted past this document: it is replaced by the snapshot,
                        // with this device's later edits re-made on top (its own rows written).
                        documents[key] = adopted.document
                        reports.append(adopted.report)
                        if isWritten.insert(deal).inserted { written.append(deal) }
                        events.append(StoreEvent(deal: deal, document: kind, changes: adopted.report.applied, origin: .remote))
                        continue
                    }
                    let (document, report, keptSnapshot) = try apply(item, to: existing)
                    documents[key] = document
                    reports.append(report)
                    // A snapshot not kept whole gives its changes rows in canonical bytes (the blob
                    // holds them in a batch encoding, not as change blobs).
                    let fromSnapshot = keptSnapshot == nil ? try Self.snapshotChanges(of: item) : []
                    let entered = Self.entered(fromSnapshot + item.changes.map(\.change), into: document,
                                               before: before, pendingBefore: pendingBefore)
                    let toStore = entered.map { index in
                        index < fromSnapshot.count ? EncodedChange(fromSnapshot[index]) : item.changes[index - fromSnapshot.count]
                    }
                    if !toStore.isEmpty || keptSnapshot != nil {
                        try write(toStore, deal: deal, kind: kind, local: false, receivedSnapshot: keptSnapshot, document: document,
                                  now: now, in: db)
                        if isWritten.insert(deal).inserted { written.append(deal) }
                    }
                    if !report.applied.isEmpty {
                        events.append(StoreEvent(deal: deal, document: kind, changes: report.applied, origin: .remote))
                    }
                }
                for deal in written {
                    try DealRow.touch(deal, updatedAt: now, summary: try summaryJSON(deal, updatedAt: now), in: db)
                }
            }
        } catch {
            for key in touched { documents[key] = nil }
            throw StoreError.wrap(error)
        }
        forgetDocuments(loaded)
        for event in events { notify(event) }
        return reports
    }

    /// Lets go of the documents an answer brought into memory once memory holds more than
    /// ``cachedDocumentLimit`` documents: a first sync brings every deal of the dealership,
    /// and keeping them all would hold the whole store in memory (and cost the allocation of
    /// all of it). The documents that were in memory before (those being read and edited)
    /// stay. A document let go is on disk, committed, and is loaded again when next used.
    private func forgetDocuments(_ loaded: [DocumentKey]) {
        guard documents.count > Self.cachedDocumentLimit else { return }
        for key in loaded {
            documents[key] = nil
            touchCache[key] = nil
        }
    }

    /// Applies a received document's changes to `document`.
    ///
    /// A document the device has nothing of takes a received snapshot whole when the blob
    /// loads on its own: the document is then exactly what loading the blob makes, so the blob
    /// is returned to be kept as its snapshot row. The report is the one applying every change at once would give.
    private func apply(_ item: ReceivedChanges, to document: Document) throws(StoreError)
        -> (Document, Document.ApplyReport, keptSnapshot: [UInt8]?) {
        if let snapshot = item.snapshot, !document.hasChanges, document.pendingChanges.isEmpty,
           let loaded = try Self.loadWhole(snapshot, of: item, replica: identity.replica) {
            // The blob loads on its own (a version 2 blob without a replay; a version 1 blob
            // whose every change applied, none held back or refused), so the log's changes
            // meet the same state, with nothing pending, as in one apply of everything.
            let first = loaded.historyIDs
            var report = loaded.apply(item.changes.map(\.change))
            report.applied = first + report.applied
            return (loaded, report, snapshot.blob)
        }
        return (document, document.apply(try Self.snapshotChanges(of: item) + item.changes.map(\.change)), nil)
    }

    /// The received snapshot loaded on its own, or nil for a version 1 blob whose changes do
    /// not all apply by themselves (they are applied with the document's, as changes).
    /// - Throws: ``StoreError/corrupt(_:)`` for a version 2 blob that does not load.
    private static func loadWhole(_ snapshot: ReceivedChanges.Snapshot, of item: ReceivedChanges, replica: ReplicaID) throws(StoreError) -> Document? {
        do {
            return try Document(snapshot: snapshot.blob, replica: replica)
        } catch {
            guard snapshot.formatVersion == 1 else { throw badSnapshot(item, error) }
            return nil
        }
    }

    /// The changes of the received snapshot, if any.
    private static func snapshotChanges(of item: ReceivedChanges) throws(StoreError) -> [Change] {
        do {
            return try item.snapshot?.changes ?? []
        } catch {
            throw badSnapshot(item, error)
        }
    }

    private static func badSnapshot(_ item: ReceivedChanges, _ error: DecodeError) -> StoreError {
        .corrupt("the snapshot of \(item.deal)/\(item.document.rawValue) the relay sent does not load (\(error)); nothing of the answer was applied")
    }

    /// The positions in `received` of the changes that entered `document` with this batch and
    /// so need rows: each change now applied or waiting that was neither before, once, in the
    /// very occurrence the document holds. A duplicate of an earlier change, a refused change
    /// and a second copy of one in the same batch get no row (the first copy keeps its row).
    ///
    /// - Complexity: O(received); comparing an occurrence with the document's copy is cheap
    ///   for the copy that was applied, which shares its storage.
    static func entered(_ received: [Change], into document: Document, before: VersionVector, pendingBefore: Set<ChangeID>) -> [Int] {
        var waiting: [ChangeID: Change]?
        var stored = Set<ChangeID>()
        var positions: [Int] = []
        for (position, change) in received.enumerated() {
            let id = change.id
            let wasApplied = id.seq >= 1 && id.seq <= before[id.replica]
            guard !wasApplied, !pendingBefore.contains(id), !stored.contains(id) else { continue }
            var held = document.change(id)
            if held == nil {
                if waiting == nil { waiting = Dictionary(document.pendingChangeValues.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }) }
                held = waiting?[id]
            }
            guard held == change else { continue }
            stored.insert(id)
            positions.append(position)
        }
        return positions
    }

    /// Every change of a deal document, for a peer that has `version` (what it lacks).
    public func changes(_ deal: DealID, _ kind: DealDocumentKind, since version: VersionVector) throws(StoreError) -> [Change] {
        do {
            return try document(deal, kind)?.changes(since: version) ?? []
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The ids of every deal in the store.
    public func dealIDs() throws(StoreError) -> [DealID] {
        do { return try DealRow.ids(in: db) } catch { throw StoreError.wrap(error) }
    }

    /// Records a change the relay refused, with its reason.
    public func quarantine(_ ref: ChangeRef, blob: [UInt8], code: RefusalCode, reason: String) throws(StoreError) {
        guard let id = ref.changeID else { return }
        do {
            try QuarantineRow(deal: ref.deal, document: ref.document, change: id, blob: blob, code: code, reason: reason, at: clock()).insert(in: db)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The quarantined changes, oldest first.
    public func quarantined() throws(StoreError) -> [QuarantinedChange] {
        do {
            return try QuarantineRow.all(in: db).map(\.quarantined)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The relay log position this device has read up to (0 if never synced).
    public func cursor(relay: String) throws(StoreError) -> LogPosition {
        do { return try CursorRow.find(relay: relay, in: db)?.cursor ?? .start } catch { throw StoreError.wrap(error) }
    }

    /// Records the relay log position read up to, and when. The cursor never moves back
    /// (two overlapping syncs may finish out of order).
    public func setCursor(_ cursor: LogPosition, relay: String) throws(StoreError) {
        do {
            try CursorRow(relay: relay, cursor: cursor, syncedAt: clock()).insert(in: db)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Forgets the cursor for `relay`, so the next sync starts from snapshots (the relay's
    /// data was replaced and its log no longer matches).
    public func resetCursor(relay: String) throws(StoreError) {
        do { try CursorRow.delete(relay: relay, in: db) } catch { throw StoreError.wrap(error) }
    }

    /// When the device last synced with `relay` (milliseconds since 1970), if ever.
    public func lastSync(relay: String) throws(StoreError) -> Int64? {
        do { return try CursorRow.find(relay: relay, in: db)?.syncedAt } catch { throw StoreError.wrap(error) }
    }
}
