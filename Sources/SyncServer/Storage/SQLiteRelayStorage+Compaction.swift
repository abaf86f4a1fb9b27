import CRDT
import DealCardKit
import SyncProtocol
import Foundation
import SQLiteKit

extension SQLiteRelayStorage {
    public func documentBase(dealership: String, deal: DealID, document: DealDocumentKind) throws -> DocumentBase? {
        let rows = try database.query(
            "SELECT through, snapshot, compacted_at FROM document_base WHERE dealership = ? AND deal_id = ? AND document = ?",
            [.text(dealership), .deal(deal), .text(document.rawValue)]
        ) { row in (LogPosition(row.int64(at: 0)), row.blob(at: 1), row.date(at: 2)) }
        guard let (through, snapshot, compactedAt) = rows.first else { return nil }
        let horizon = try database.query(
            "SELECT replica, change_seq FROM document_horizon WHERE dealership = ? AND deal_id = ? AND document = ?",
            [.text(dealership), .deal(deal), .text(document.rawValue)]
        ) { row in (row.replicaID(at: 0), row.bits(at: 1)) }
        var vector = VersionVector()
        for (replica, seq) in horizon { vector[replica] = seq }
        return DocumentBase(dealership: dealership, deal: deal, document: document, through: through, snapshot: snapshot,
                            horizon: vector, compactedAt: compactedAt)
    }

    @discardableResult
    public func compact(_ base: DocumentBase) throws -> Int {
        try database.transaction { db in
            let key: [SQLiteValue] = [.text(base.dealership), .deal(base.deal), .text(base.document.rawValue)]
            if let previous = try db.scalar("SELECT through FROM document_base WHERE dealership = ? AND deal_id = ? AND document = ?", key)?
                .int64, previous > base.through.rawValue {
                throw RelayStorageError.compactionBehind(deal: base.deal, through: base.through, stored: LogPosition(previous))
            }
            // Entries set aside as unloadable stay in the log for an operator: such a document
            // is not compacted.
            if try db.scalar(
                """
                SELECT 1 FROM unloadable_change u JOIN change_log c ON c.position = u.position
                WHERE c.dealership = ? AND c.deal_id = ? AND c.document = ? AND c.position <= ? LIMIT 1
                """, key + [.position(base.through)]) != nil {
                throw RelayStorageError.compactionBlocked(deal: base.deal, document: base.document,
                                                          reason: "an entry before the horizon is set aside as unloadable")
            }
            try Self.storeBase(base, in: db)
            let removed = try db.query(
                "DELETE FROM change_log WHERE dealership = ? AND deal_id = ? AND document = ? AND position <= ? RETURNING position",
                key + [.position(base.through)]) { $0.int64(at: 0) }
            try Self.raiseCompacted(to: base.through, in: db)
            return removed.count
        }
    }

    /// Stores `base` (its row, never moving back, and its horizon rows) and deletes the
    /// document's stored first-sync snapshot: it holds the whole history, so a first sync
    /// must get the base's instead, built again from the compacted document when next needed.
    private static func storeBase(_ base: DocumentBase, in db: SQLiteDatabase) throws {
        let key: [SQLiteValue] = [.text(base.dealership), .deal(base.deal), .text(base.document.rawValue)]
        try db.execute(
            """
            INSERT INTO document_base(dealership, deal_id, document, through, snapshot, compacted_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (dealership, deal_id, document) DO UPDATE SET
                through = max(through, excluded.through), snapshot = excluded.snapshot, compacted_at = excluded.compacted_at
            """, arguments: key + [.position(base.through), .blob(base.snapshot), .milliseconds(base.compactedAt)])
        try db.execute("DELETE FROM document_horizon WHERE dealership = ? AND deal_id = ? AND document = ?", arguments: key)
        for (replica, seq) in base.horizon.sorted {
            try db.execute("INSERT INTO document_horizon VALUES (?, ?, ?, ?, ?)", arguments: key + [.replica(replica), .bits(seq)])
        }
        try db.execute("DELETE FROM document_snapshot WHERE dealership = ? AND deal_id = ? AND document = ?", arguments: key)
    }

    /// Raises ``compactedThrough`` to `position` (never lowers it).
    private static func raiseCompacted(to position: LogPosition, in db: SQLiteDatabase) throws {
        try db.execute(
            """
            INSERT INTO compaction(id, through) VALUES (1, ?)
            ON CONFLICT (id) DO UPDATE SET through = max(through, excluded.through)
            """, arguments: [.position(position)])
    }

    @discardableResult
    public func adopt(_ base: DocumentBase, removing positions: [LogPosition], quarantine: [QuarantineEntry]) throws -> LogPosition {
        try database.transaction { db in
            let key: [SQLiteValue] = [.text(base.dealership), .deal(base.deal), .text(base.document.rawValue)]
            try Self.storeBase(base, in: db)
            for entry in quarantine { try Self.insertQuarantine(entry, in: db) }
            // Entries of the document set aside as unloadable go too: they are in the
            // quarantine already (``markUnloadable(_:reason:at:)``), and the base replaces the
            // document's log (left below the base's position, a later compaction would stop there).
            let setAside = try db.query(
                """
                SELECT c.position FROM change_log c JOIN unloadable_change u ON u.position = c.position
                WHERE c.dealership = ? AND c.deal_id = ? AND c.document = ?
                """, key) { LogPosition($0.int64(at: 0)) }
            for position in positions + setAside {
                try db.execute("DELETE FROM unloadable_change WHERE position = ?", arguments: [.position(position)])
                try db.execute(
                    "DELETE FROM change_log WHERE position = ? AND dealership = ? AND deal_id = ? AND document = ?",
                    arguments: [.position(position)] + key)
            }
            // A position no entry takes: every cursor handed out before is behind it (so its
            // reader syncs again and gets the base), every one handed out after is not.
            let marker = try Self.latestPosition(in: db).rawValue + 1
            try db.execute("DELETE FROM sqlite_sequence WHERE name = 'change_log'")
            try db.execute("INSERT INTO sqlite_sequence(name, seq) VALUES ('change_log', ?)", arguments: [.integer(marker)])
            try Self.raiseCompacted(to: LogPosition(marker), in: db)
            return LogPosition(marker)
        }
    }

    public func lastPosition(receivedBefore cutoff: Date) throws -> LogPosition {
        if let first = try database.scalar("SELECT min(position) FROM change_log WHERE received_at >= ?", [.milliseconds(cutoff)])?.int64 {
            return LogPosition(first - 1)
        }
        return LogPosition(try database.scalar("SELECT max(position) FROM change_log")?.int64 ?? 0)
    }

    public func documents(withEntriesThrough position: LogPosition) throws -> [(dealership: String, deal: DealID, document: DealDocumentKind)] {
        try database.query(
            """
            SELECT DISTINCT dealership, deal_id, document FROM change_log WHERE position <= ?
            ORDER BY dealership, deal_id, document
            """, [.position(position)]
        ) { row in
            (dealership: row.string(at: 0), deal: try row.dealID(at: 1), document: try row.decoded(DealDocumentKind.self, at: 2))
        }
    }

    public var compactedThrough: LogPosition {
        get throws {
            LogPosition(try database.scalar("SELECT through FROM compaction WHERE id = 1")?.int64 ?? 0)
        }
    }
}
