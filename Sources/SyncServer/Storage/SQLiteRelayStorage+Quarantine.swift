import DealCardKit
import SQLiteKit

extension SQLiteRelayStorage {
    @discardableResult
    public func insertQuarantine(_ entry: QuarantineEntry) throws -> Int64 {
        try Self.insertQuarantine(entry, in: database)
    }

    /// ``insertQuarantine(_:)`` inside the caller's transaction, if any.
    @discardableResult
    static func insertQuarantine(_ entry: QuarantineEntry, in db: SQLiteDatabase) throws -> Int64 {
        let ids = try db.query(
            """
            INSERT INTO quarantine(deal_id, document, replica, change_seq, blob, sender_user, sender_device, reason, quarantined_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """,
            [
                .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica), .bits(entry.changeSequence),
                .blob(entry.blob), .text(entry.senderUser), .text(entry.senderDevice), .text(entry.reason),
                .milliseconds(entry.quarantinedAt),
            ]
        ) { $0.int64(at: 0) }
        return ids[0]
    }

    public func quarantine(limit: Int) throws -> [QuarantineRecord] {
        guard limit > 0 else { return [] }
        return try database.query(
            """
            SELECT id, deal_id, document, replica, change_seq, blob, sender_user, sender_device, reason, quarantined_at
            FROM quarantine ORDER BY id DESC LIMIT ?
            """,
            [.integer(Int64(limit))]
        ) { row in
            let entry = QuarantineEntry(
                deal: try row.dealID(at: 1), document: try row.decoded(DealDocumentKind.self, at: 2),
                replica: row.replicaID(at: 3), changeSequence: row.bits(at: 4), blob: row.blob(at: 5),
                senderUser: row.string(at: 6), senderDevice: row.string(at: 7), reason: row.string(at: 8),
                quarantinedAt: row.date(at: 9))
            return QuarantineRecord(id: row.int64(at: 0), entry: entry)
        }
    }
}
