#if PostgreSQL
import DealCardKit
import Foundation
import PostgresKit
import SyncProtocol

extension PostgresRelayStorage {
    public func snapshotPage(_ request: SnapshotPage.Request) throws -> SnapshotPage {
        try Self.snapshotPage(request, in: connection)
    }

    /// See ``snapshotPage(_:)``; on `db` (the storage's connection, or a reader's). One
    /// statement, walking the deal table's primary key from `request.after`, with one
    /// indexed lookup per document, as ``SQLiteRelayStorage`` does.
    static func snapshotPage(_ request: SnapshotPage.Request, in db: PostgresConnection) throws -> SnapshotPage {
        let kinds = request.documents.sorted { $0.rawValue < $1.rawValue }
        guard request.limit > 0, !kinds.isEmpty else { return SnapshotPage(deals: [], more: false) }
        var arguments = PostgresArguments()
        let filter: String
        switch request.deals {
        case .none:
            return SnapshotPage(deals: [], more: false)
        case .dealership(let dealership):
            filter = "d.dealership = \(arguments(.text(dealership)))"
        case .buyer(let dealership, let user):
            filter = "d.dealership = \(arguments(.text(dealership))) AND d.buyer_user = \(arguments(.text(user)))"
        case .deal(let dealership, let id):
            filter = "d.dealership = \(arguments(.text(dealership))) AND d.id = \(arguments(.deal(id)))"
        }
        let after = arguments(.text(request.after?.rawValue ?? ""))
        var archived = ""
        if let closedBefore = request.closedBefore {
            archived = """
                 AND NOT EXISTS (SELECT 1 FROM deal_analytics a WHERE a.dealership = d.dealership AND a.deal_id = d.id
                    AND \(archivedCondition(arguments(.int(closedBefore)))))
                """
        }
        let limit = arguments(.int(Int64(request.limit) + 1))
        let slots = SnapshotPage.slotSQL(kinds)
        let columns = ["d.id"] + slots.columns
        let joins = slots.joins
        let sql = """
            SELECT \(columns.joined(separator: ", ")) FROM deal d
            \(joins.joined(separator: "\n"))
            WHERE \(filter) AND d.id > \(after)\(archived) ORDER BY d.id LIMIT \(limit)
            """
        var deals: [SnapshotPage.Deal] = []
        var bytes = 0
        var more = false
        for row in try db.execute(sql, arguments.values).allRows {
            if deals.count >= request.limit || bytes >= request.maxBytes {
                more = true
                break
            }
            var documents: [SnapshotPage.Item] = []
            for (index, kind) in kinds.enumerated() {
                let first = 1 + index * 6
                guard try row.bool(first) else {
                    if try row.bool(first + 5) { documents.append(SnapshotPage.Item(kind: kind, slot: .build)) }
                    continue
                }
                let staleFrom = try row.optionalPosition(first + 3)
                let rules = try row.int64(first + 4)
                if row.isNull(first + 1) || rules != Int64(StoredSnapshot.currentRules) || staleFrom.map({ $0 <= request.base }) == true {
                    documents.append(SnapshotPage.Item(kind: kind, slot: .build))
                } else if try row.int64(first + 2) > 0 {
                    let blob = try row.bytes(first + 1)
                    bytes += blob.count
                    documents.append(SnapshotPage.Item(kind: kind, slot: .stored(blob)))
                }
            }
            deals.append(SnapshotPage.Deal(id: try row.dealID(0), documents: documents))
        }
        return SnapshotPage(deals: deals, more: more)
    }

    /// An analytics row `a` of an archived deal, given the placeholder of the time before
    /// which it is one.
    static func archivedCondition(_ closedBefore: String) -> String {
        "NOT a.stale AND NOT a.is_open AND a.last_change_at < \(closedBefore)"
    }

    public func archivedDealCount(_ deals: DealSelection, closedBefore: Int64) throws -> Int {
        try Self.archivedDealCount(deals, closedBefore: closedBefore, in: connection)
    }

    static func archivedDealCount(_ deals: DealSelection, closedBefore: Int64, in db: PostgresConnection) throws -> Int {
        let count: Int64
        switch deals {
        case .none:
            return 0
        case .dealership(let dealership):
            count = try db.execute("SELECT count(*) FROM deal_analytics a WHERE a.dealership = $1 AND \(archivedCondition("$2"))",
                                   [.text(dealership), .int(closedBefore)])[0].int64(0)
        case .buyer(let dealership, let user):
            count = try db.execute(
                """
                SELECT count(*) FROM deal d JOIN deal_analytics a ON a.dealership = d.dealership AND a.deal_id = d.id
                WHERE d.dealership = $1 AND d.buyer_user = $2 AND \(archivedCondition("$3"))
                """, [.text(dealership), .text(user), .int(closedBefore)])[0].int64(0)
        case .deal(let dealership, let id):
            count = try db.execute(
                "SELECT count(*) FROM deal_analytics a WHERE a.dealership = $1 AND a.deal_id = $2 AND \(archivedCondition("$3"))",
                [.text(dealership), .deal(id), .int(closedBefore)])[0].int64(0)
        }
        return Int(clamping: count)
    }

    public func makeSnapshotReader() throws -> any SnapshotPageReader {
        try PostgresSnapshotPageReader(connectionString: connectionString)
    }

    public func storeSnapshots(_ snapshots: [StoredSnapshot], covering position: LogPosition) throws {
        guard !snapshots.isEmpty else { return }
        try connection.transaction { db in try Self.storeSnapshots(snapshots, covering: position, in: db) }
    }

    static func storeSnapshots(_ snapshots: [StoredSnapshot], covering position: LogPosition, in db: PostgresConnection) throws {
        for snapshot in snapshots {
            // `stale_from` is read from the log, not assumed: a change after `position` keeps
            // the row stale, whoever stored it.
            try db.execute(
                """
                INSERT INTO document_snapshot(dealership, deal_id, document, blob, change_count, covers, stale_from, rules)
                VALUES ($1, $2, $3, $4, $5, $6,
                        (SELECT min(position) FROM change_log WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND position > $6), $7)
                ON CONFLICT (dealership, deal_id, document) DO UPDATE SET
                    blob = excluded.blob, change_count = excluded.change_count, covers = excluded.covers,
                    stale_from = excluded.stale_from, rules = excluded.rules
                WHERE excluded.covers >= document_snapshot.covers
                """,
                [
                    .text(snapshot.dealership), .deal(snapshot.deal), .text(snapshot.document.rawValue), .bytes(snapshot.blob),
                    .int(Int64(snapshot.changeCount)), .position(position), .int(Int64(StoredSnapshot.currentRules)),
                ])
        }
    }

    public func storedSnapshot(dealership: String, deal: DealID, document: DealDocumentKind) throws -> StoredSnapshotRecord? {
        try connection.execute(
            "SELECT blob, change_count, covers, stale_from, rules FROM document_snapshot WHERE dealership = $1 AND deal_id = $2 AND document = $3",
            [.text(dealership), .deal(deal), .text(document.rawValue)]
        ).allRows.first.map { row in
            StoredSnapshotRecord(
                snapshot: row.isNull(0) ? nil : StoredSnapshot(dealership: dealership, deal: deal, document: document, blob: try row.bytes(0),
                                                               changeCount: Int(try row.int64(1))),
                covers: try row.position(2), staleFrom: try row.optionalPosition(3), rules: Int(try row.int64(4)))
        }
    }
}

/// ``SnapshotPageReader`` over a connection of its own, each page and its archived count read
/// in one `REPEATABLE READ` transaction (a committed state at least as new as anything the
/// caller read before), one page at a time.
/// `@unchecked Sendable`: the connection and the closed flag are only touched under `turn`.
final class PostgresSnapshotPageReader: SnapshotPageReader, @unchecked Sendable {
    private let connection: PostgresConnection
    private let turn = NSLock()
    private var isClosed = false

    init(connectionString: String) throws {
        connection = try PostgresConnection(connectionString)
    }

    func page(_ request: SnapshotPage.Request) throws -> (page: SnapshotPage, archivedDeals: Int?) {
        try turn.withLock {
            guard !isClosed else { throw RelayStorageError.storeClosed }
            return try connection.transaction(isolation: "REPEATABLE READ") { db in
                let page = try PostgresRelayStorage.snapshotPage(request, in: db)
                guard !page.more, let closedBefore = request.closedBefore else { return (page, nil) }
                return (page, try PostgresRelayStorage.archivedDealCount(request.deals, closedBefore: closedBefore, in: db))
            }
        }
    }

    func close() {
        turn.withLock {
            isClosed = true
            connection.close()
        }
    }
}
#endif
