#if PostgreSQL
import CRDT
import DealCardKit
import Foundation
import PostgresKit
import SyncProtocol

extension PostgresRelayStorage {
    public func documentBase(dealership: String, deal: DealID, document: DealDocumentKind) throws -> DocumentBase? {
        let key: [PostgresValue] = [.text(dealership), .deal(deal), .text(document.rawValue)]
        guard let row = try connection.execute(
            "SELECT through, snapshot, compacted_at FROM document_base WHERE dealership = $1 AND deal_id = $2 AND document = $3", key
        ).allRows.first else { return nil }
        var horizon = VersionVector()
        for entry in try connection.execute(
            "SELECT replica, change_seq FROM document_horizon WHERE dealership = $1 AND deal_id = $2 AND document = $3", key).allRows {
            horizon[try entry.replicaID(0)] = try entry.bits(1)
        }
        return DocumentBase(dealership: dealership, deal: deal, document: document, through: try row.position(0), snapshot: try row.bytes(1),
                            horizon: horizon, compactedAt: try row.date(2))
    }

    @discardableResult
    public func compact(_ base: DocumentBase) throws -> Int {
        try connection.transaction { db in
            // Under the appenders' lock: no entry of the document can commit meanwhile.
            try db.execute("SELECT position FROM log_head WHERE id = 1 FOR UPDATE")
            let key: [PostgresValue] = [.text(base.dealership), .deal(base.deal), .text(base.document.rawValue)]
            if let previous = try db.execute(
                "SELECT through FROM document_base WHERE dealership = $1 AND deal_id = $2 AND document = $3", key).allRows.first,
               try previous.int64(0) > base.through.rawValue {
                throw RelayStorageError.compactionBehind(deal: base.deal, through: base.through, stored: try previous.position(0))
            }
            if try db.execute(
                """
                SELECT 1 FROM unloadable_change u JOIN change_log c ON c.position = u.position
                WHERE c.dealership = $1 AND c.deal_id = $2 AND c.document = $3 AND c.position <= $4 LIMIT 1
                """, key + [.position(base.through)]).count > 0 {
                throw RelayStorageError.compactionBlocked(deal: base.deal, document: base.document,
                                                          reason: "an entry before the horizon is set aside as unloadable")
            }
            try Self.storeBase(base, in: db)
            let removed = try db.execute(
                "DELETE FROM change_log WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND position <= $4",
                key + [.position(base.through)]).affectedRows
            try Self.raiseCompacted(to: base.through, in: db)
            return removed
        }
    }

    /// Stores `base` (never moving back) and its horizon, and deletes the document's stored
    /// first-sync snapshot (it holds the whole history).
    private static func storeBase(_ base: DocumentBase, in db: PostgresConnection) throws {
        let key: [PostgresValue] = [.text(base.dealership), .deal(base.deal), .text(base.document.rawValue)]
        try db.execute(
            """
            INSERT INTO document_base(dealership, deal_id, document, through, snapshot, compacted_at) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (dealership, deal_id, document) DO UPDATE SET
                through = greatest(document_base.through, excluded.through), snapshot = excluded.snapshot,
                compacted_at = excluded.compacted_at
            """, key + [.position(base.through), .bytes(base.snapshot), .milliseconds(base.compactedAt)])
        try db.execute("DELETE FROM document_horizon WHERE dealership = $1 AND deal_id = $2 AND document = $3", key)
        for (replica, seq) in base.horizon.sorted {
            try db.execute("INSERT INTO document_horizon VALUES ($1, $2, $3, $4, $5)", key + [.replica(replica), .bits(seq)])
        }
        try db.execute("DELETE FROM document_snapshot WHERE dealership = $1 AND deal_id = $2 AND document = $3", key)
    }

    private static func raiseCompacted(to position: LogPosition, in db: PostgresConnection) throws {
        try db.execute(
            """
            INSERT INTO compaction(id, through) VALUES (1, $1)
            ON CONFLICT (id) DO UPDATE SET through = greatest(compaction.through, excluded.through)
            """, [.position(position)])
    }

    @discardableResult
    public func adopt(_ base: DocumentBase, removing positions: [LogPosition], quarantine: [QuarantineEntry]) throws -> LogPosition {
        try connection.transaction { db in
            let head = try db.execute("SELECT position FROM log_head WHERE id = 1 FOR UPDATE")[0].int64(0)
            let key: [PostgresValue] = [.text(base.dealership), .deal(base.deal), .text(base.document.rawValue)]
            try Self.storeBase(base, in: db)
            for entry in quarantine { try Self.insertQuarantine(entry, in: db) }
            let setAside = try db.execute(
                """
                SELECT c.position FROM change_log c JOIN unloadable_change u ON u.position = c.position
                WHERE c.dealership = $1 AND c.deal_id = $2 AND c.document = $3
                """, key).allRows.map { try $0.position(0) }
            for position in positions + setAside {
                try db.execute("DELETE FROM unloadable_change WHERE position = $1", [.position(position)])
                try db.execute("DELETE FROM change_log WHERE position = $1 AND dealership = $2 AND deal_id = $3 AND document = $4",
                               [.position(position)] + key)
            }
            // A position no entry takes: every cursor handed out before is behind it.
            let marker = head + 1
            try db.execute("UPDATE log_head SET position = $1 WHERE id = 1", [.int(marker)])
            try Self.raiseCompacted(to: LogPosition(marker), in: db)
            try db.notify(Self.channel, String(marker))
            return LogPosition(marker)
        }
    }

    public func lastPosition(receivedBefore cutoff: Date) throws -> LogPosition {
        let row = try connection.execute(
            "SELECT (SELECT min(position) FROM change_log WHERE received_at >= $1), (SELECT max(position) FROM change_log)",
            [.milliseconds(cutoff)])[0]
        if !row.isNull(0) { return LogPosition(try row.int64(0) - 1) }
        return try row.optionalPosition(1) ?? .start
    }

    public func documents(withEntriesThrough position: LogPosition) throws -> [(dealership: String, deal: DealID, document: DealDocumentKind)] {
        try connection.execute(
            "SELECT DISTINCT dealership, deal_id, document FROM change_log WHERE position <= $1 ORDER BY dealership, deal_id, document",
            [.position(position)]
        ).allRows.map { row in (dealership: try row.string(0), deal: try row.dealID(1), document: try row.decoded(DealDocumentKind.self, 2)) }
    }

    public var compactedThrough: LogPosition {
        get throws { try connection.execute("SELECT through FROM compaction WHERE id = 1").allRows.first.map { try $0.position(0) } ?? .start }
    }

    public var isShared: Bool { true }
}
#endif
