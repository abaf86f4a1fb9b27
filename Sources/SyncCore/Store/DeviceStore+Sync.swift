import CRDT
import Foundation

extension DeviceStore {
    /// Local changes not yet acknowledged by the relay, oldest first.
    public func outbox(limit: Int = 10_000) throws(StoreError) -> [OutboxItem] {
        do {
            return try db.query("SELECT deal_id, kind, replica, seq, blob, created_at FROM outbox ORDER BY id LIMIT ?", [.integer(Int64(limit))]) { row in
                guard let deal = DealID(row.string(at: 0)), let kind = DealDocumentKind(rawValue: row.string(at: 1)) else {
                    throw StoreError.corrupt("outbox row for \(row.string(at: 0))")
                }
                let change = ChangeID(replica: ReplicaID(UInt64(bitPattern: row.int64(at: 2))), seq: UInt64(row.int64(at: 3)))
                return OutboxItem(ref: ChangeRef(deal: deal, document: kind, change: change), blob: row.blob(at: 4), createdAt: row.int64(at: 5))
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// How many changes wait in the outbox.
    public func outboxCount() throws(StoreError) -> Int {
        do { return Int(try db.scalar("SELECT count(*) FROM outbox")?.int64 ?? 0) } catch { throw StoreError.wrap(error) }
    }

    /// Removes acknowledged changes from the outbox (idempotent).
    public func acknowledge(_ refs: [ChangeRef]) throws(StoreError) {
        do {
            try db.transaction { db in
                for ref in refs {
                    guard let id = ref.changeID else { continue }
                    try db.execute("DELETE FROM outbox WHERE deal_id = ? AND kind = ? AND replica = ? AND seq = ?",
                                   arguments: [.text(ref.deal.rawValue), .text(ref.document.rawValue),
                                               .integer(Int64(bitPattern: id.replica.rawValue)), .integer(Int64(id.seq))])
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
        try applyRemote(batch: [(deal, kind, changes)])[0]
    }

    /// Applies many documents' received changes (a sync answer) in one transaction: one
    /// commit instead of one per document, which is what makes a first sync of thousands of
    /// deals fast. On any failure nothing of the batch is kept, in memory or on disk.
    @discardableResult
    public func applyRemote(batch: [(deal: DealID, document: DealDocumentKind, changes: [Change])]) throws(StoreError) -> [Document.ApplyReport] {
        for item in batch where !schema.canRead(role: identity.role, document: item.document) {
            throw .documentNotReadable(role: identity.role, document: item.document)
        }
        var touched: [DocumentKey] = []
        var reports: [Document.ApplyReport] = []
        var events: [StoreEvent] = []
        do {
            let now = clock()
            try db.transaction { db in
                for (deal, kind, changes) in batch {
                    try db.execute("INSERT OR IGNORE INTO deals(id, created_at, updated_at) VALUES (?, ?, ?)",
                                   arguments: [.text(deal.rawValue), .integer(now), .integer(now)])
                    let key = DocumentKey(deal: deal, kind: kind)
                    let document = try self.document(deal, kind) ?? Document(replica: identity.replica)
                    touched.append(key)
                    let report = document.apply(changes)
                    documents[key] = document
                    reports.append(report)
                    var skip = Set(report.duplicates)
                    for case .invalidChange(let id, _) in report.refused { skip.insert(id) }
                    let toStore = changes.filter { !skip.contains($0.id) }
                    if !toStore.isEmpty {
                        try write(toStore, deal: deal, kind: kind, local: false, document: document,
                                  summary: try summaryJSON(deal, updatedAt: now), now: now, in: db)
                    }
                    if !report.applied.isEmpty {
                        events.append(StoreEvent(deal: deal, document: kind, changes: report.applied, origin: .remote))
                    }
                }
            }
        } catch {
            for key in touched { documents[key] = nil }
            throw StoreError.wrap(error)
        }
        for event in events { notify(event) }
        return reports
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
        do { return try db.query("SELECT id FROM deals ORDER BY id") { DealID($0.string(at: 0))! } } catch { throw StoreError.wrap(error) }
    }

    /// Records a change the relay refused, with its reason.
    public func quarantine(_ ref: ChangeRef, blob: [UInt8], code: String, reason: String) throws(StoreError) {
        guard let id = ref.changeID else { return }
        do {
            try db.execute("INSERT INTO quarantine(deal_id, kind, replica, seq, blob, reason, at, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [.text(ref.deal.rawValue), .text(ref.document.rawValue), .integer(Int64(bitPattern: id.replica.rawValue)),
                                       .integer(Int64(id.seq)), .blob(blob), .text(reason), .integer(clock()), .text(code)])
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The quarantined changes, oldest first.
    public func quarantined() throws(StoreError) -> [QuarantinedChange] {
        do {
            return try db.query("SELECT deal_id, kind, replica, seq, blob, code, reason, at FROM quarantine ORDER BY id") { row in
                let change = ChangeID(replica: ReplicaID(UInt64(bitPattern: row.int64(at: 2))), seq: UInt64(row.int64(at: 3)))
                let ref = ChangeRef(deal: DealID(row.string(at: 0))!, document: DealDocumentKind(rawValue: row.string(at: 1)) ?? .shared, change: change)
                return QuarantinedChange(ref: ref, blob: row.blob(at: 4), code: row.string(at: 5), reason: row.string(at: 6), at: row.int64(at: 7))
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The relay log position this device has read up to (0 if never synced).
    public func cursor(relay: String) throws(StoreError) -> Int64 {
        do { return try db.scalar("SELECT cursor FROM cursors WHERE relay = ?", [.text(relay)])?.int64 ?? 0 } catch { throw StoreError.wrap(error) }
    }

    /// Records the relay log position read up to, and when. The cursor never moves back
    /// (two overlapping syncs may finish out of order).
    public func setCursor(_ cursor: Int64, relay: String) throws(StoreError) {
        do {
            try db.execute("INSERT INTO cursors(relay, cursor, synced_at) VALUES (?, ?, ?) ON CONFLICT(relay) DO UPDATE SET cursor = max(cursor, excluded.cursor), synced_at = excluded.synced_at",
                           arguments: [.text(relay), .integer(cursor), .integer(clock())])
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Forgets the cursor for `relay`, so the next sync starts from snapshots (the relay's
    /// data was replaced and its log no longer matches).
    public func resetCursor(relay: String) throws(StoreError) {
        do { try db.execute("DELETE FROM cursors WHERE relay = ?", arguments: [.text(relay)]) } catch { throw StoreError.wrap(error) }
    }

    /// When the device last synced with `relay` (milliseconds since 1970), if ever.
    public func lastSync(relay: String) throws(StoreError) -> Int64? {
        do { return try db.scalar("SELECT synced_at FROM cursors WHERE relay = ?", [.text(relay)])?.int64 } catch { throw StoreError.wrap(error) }
    }
}
