import DealCardKit
import SQLiteKit
import SyncProtocol

extension SQLiteRelayStorage {
    /// - Complexity: one query, walking the deal table in id order from `request.after` with
    ///   one indexed lookup per document; blobs are read only as far as the page goes.
    public func snapshotPage(_ request: SnapshotPage.Request) throws -> SnapshotPage {
        try Self.snapshotPage(request, in: database)
    }

    /// See ``snapshotPage(_:)``; on `db` (the storage's connection, or a reader's).
    static func snapshotPage(_ request: SnapshotPage.Request, in database: SQLiteDatabase) throws -> SnapshotPage {
        let kinds = request.documents.sorted { $0.rawValue < $1.rawValue }
        guard request.limit > 0, !kinds.isEmpty else { return SnapshotPage(deals: [], more: false) }
        var table = "deal d"
        let filter: String
        var arguments: [SQLiteValue]
        switch request.deals {
        case .none:
            return SnapshotPage(deals: [], more: false)
        case .dealership(let dealership):
            filter = "d.dealership = ?"
            arguments = [.text(dealership)]
        case .buyer(let dealership, let user):
            // A buyer's few deals by the buyer index, sorted after (rather than the whole
            // dealership's deals walked in id order to find them).
            table = "deal d INDEXED BY deal_by_buyer"
            filter = "d.dealership = ? AND d.buyer_user = ?"
            arguments = [.text(dealership), .text(user)]
        case .deal(let dealership, let id):
            filter = "d.dealership = ? AND d.id = ?"
            arguments = [.text(dealership), .deal(id)]
        }
        // Every deal id is longer than '' (and ids compare by their bytes, as SQLite's BINARY does).
        arguments.append(.text(request.after?.rawValue ?? ""))
        var archived = ""
        if let closedBefore = request.closedBefore {
            // One primary-key lookup per deal walked; a deal without a current row (never
            // summarised, or being summarised again) counts as open.
            archived = """
                 AND NOT EXISTS (SELECT 1 FROM deal_analytics a WHERE a.dealership = d.dealership AND a.deal_id = d.id
                    AND \(Self.archivedCondition))
                """
            arguments.append(.integer(closedBefore))
        }
        // One more deal than the limit tells whether any come after the page.
        arguments.append(.integer(Int64(request.limit) + 1))
        let slots = SnapshotPage.slotSQL(kinds)
        let columns = ["d.id"] + slots.columns
        let joins = slots.joins
        // Driven by the deal table's primary key (dealership, id): rows come in id order with
        // no sort, so stepping stops reading where the page ends.
        let sql = """
            SELECT \(columns.joined(separator: ", ")) FROM \(table)
            \(joins.joined(separator: "\n"))
            WHERE \(filter) AND d.id > ?\(archived) ORDER BY d.id LIMIT ?
            """
        var deals: [SnapshotPage.Deal] = []
        var bytes = 0
        var more = false
        try database.forEachRow(sql, arguments) { row in
            if deals.count >= request.limit || bytes >= request.maxBytes {
                more = true
                return false
            }
            var documents: [SnapshotPage.Item] = []
            for (index, kind) in kinds.enumerated() {
                let first = 1 + index * 6
                guard row.int64(at: first) != 0 else {
                    if row.int64(at: first + 5) != 0 { documents.append(SnapshotPage.Item(kind: kind, slot: .build)) }
                    continue
                }
                let staleFrom = row.isNull(at: first + 3) ? nil : row.position(at: first + 3)
                if row.isNull(at: first + 1) || row.int64(at: first + 4) != Int64(StoredSnapshot.currentRules)
                    || staleFrom.map({ $0 <= request.base }) == true {
                    documents.append(SnapshotPage.Item(kind: kind, slot: .build))
                } else if row.int64(at: first + 2) > 0 {
                    let blob = row.blob(at: first + 1)
                    bytes += blob.count
                    documents.append(SnapshotPage.Item(kind: kind, slot: .stored(blob)))
                }
            }
            deals.append(SnapshotPage.Deal(id: try row.dealID(at: 0), documents: documents))
            return true
        }
        return SnapshotPage(deals: deals, more: more)
    }

    /// An analytics row `a` of an archived deal, given the time before which it is one.
    static let archivedCondition = "a.stale = 0 AND a.is_open = 0 AND a.last_change_at < ?"

    /// - Complexity: for a dealership, a count over one range of the index of closed deals
    ///   (`deal_analytics_closed`); for a buyer or one deal, their rows.
    public func archivedDealCount(_ deals: DealSelection, closedBefore: Int64) throws -> Int {
        try Self.archivedDealCount(deals, closedBefore: closedBefore, in: database)
    }

    /// See ``archivedDealCount(_:closedBefore:)``; on `database`.
    static func archivedDealCount(_ deals: DealSelection, closedBefore: Int64, in database: SQLiteDatabase) throws -> Int {
        let count: Int64?
        switch deals {
        case .none:
            return 0
        case .dealership(let dealership):
            count = try database.scalar(
                "SELECT count(*) FROM deal_analytics a INDEXED BY deal_analytics_closed WHERE a.dealership = ? AND \(Self.archivedCondition)",
                [.text(dealership), .integer(closedBefore)])?.int64
        case .buyer(let dealership, let user):
            count = try database.scalar(
                """
                SELECT count(*) FROM deal d INDEXED BY deal_by_buyer
                JOIN deal_analytics a ON a.dealership = d.dealership AND a.deal_id = d.id
                WHERE d.dealership = ? AND d.buyer_user = ? AND \(Self.archivedCondition)
                """, [.text(dealership), .text(user), .integer(closedBefore)])?.int64
        case .deal(let dealership, let id):
            count = try database.scalar(
                "SELECT count(*) FROM deal_analytics a WHERE a.dealership = ? AND a.deal_id = ? AND \(Self.archivedCondition)",
                [.text(dealership), .deal(id), .integer(closedBefore)])?.int64
        }
        return Int(clamping: count ?? 0)
    }

    public func makeSnapshotReader() throws -> any SnapshotPageReader {
        try SQLiteSnapshotPageReader(path: path)
    }

    public func storeSnapshots(_ snapshots: [StoredSnapshot], covering position: LogPosition) throws {
        guard !snapshots.isEmpty else { return }
        try database.transaction { db in try Self.storeSnapshots(snapshots, covering: position, in: db) }
    }

    /// Stores snapshots inside the caller's transaction; see ``storeSnapshots(_:covering:)``.
    static func storeSnapshots(_ snapshots: [StoredSnapshot], covering position: LogPosition, in db: SQLiteDatabase) throws {
        for snapshot in snapshots {
            // `stale_from` is read from the log, not assumed: a change after `position` keeps
            // the row stale, whoever stored it.
            try db.execute(
                """
                INSERT INTO document_snapshot(dealership, deal_id, document, blob, change_count, covers, stale_from, rules)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6,
                        (SELECT min(position) FROM change_log WHERE dealership = ?1 AND deal_id = ?2 AND document = ?3 AND position > ?6), ?7)
                ON CONFLICT(dealership, deal_id, document) DO UPDATE SET
                    blob = excluded.blob, change_count = excluded.change_count, covers = excluded.covers,
                    stale_from = excluded.stale_from, rules = excluded.rules
                WHERE excluded.covers >= document_snapshot.covers
                """,
                arguments: [
                    .text(snapshot.dealership), .deal(snapshot.deal), .text(snapshot.document.rawValue), .blob(snapshot.blob),
                    .integer(Int64(snapshot.changeCount)), .position(position), .integer(Int64(StoredSnapshot.currentRules)),
                ])
        }
    }

    public func storedSnapshot(dealership: String, deal: DealID, document: DealDocumentKind) throws -> StoredSnapshotRecord? {
        try database.query(
            """
            SELECT blob, change_count, covers, stale_from, rules FROM document_snapshot
            WHERE dealership = ? AND deal_id = ? AND document = ?
            """,
            [.text(dealership), .deal(deal), .text(document.rawValue)]
        ) { row in
            StoredSnapshotRecord(
                snapshot: row.isNull(at: 0) ? nil : StoredSnapshot(dealership: dealership, deal: deal, document: document, blob: row.blob(at: 0),
                                                                   changeCount: Int(row.int64(at: 1))),
                covers: row.position(at: 2), staleFrom: row.isNull(at: 3) ? nil : row.position(at: 3), rules: Int(row.int64(at: 4)))
        }.first
    }
}
