import CRDT
import DealCardKit
import SQLiteKit
import SyncProtocol

/// One row of the `quarantine` table: a change the relay refused (or that a rebase could not
/// re-make), kept with the reason so it is visible and never silently dropped.
struct QuarantineRow: Equatable {
    var deal: DealID
    var document: DealDocumentKind
    var change: ChangeID
    /// The change blob as it was pushed (empty when it was not at hand).
    var blob: [UInt8]
    /// The relay's refusal code, or the store's own (`depends_on_refused`).
    var code: RefusalCode
    /// Why, for people.
    var reason: String
    /// Milliseconds since 1970 when it was quarantined.
    var at: Int64

    /// The change as the store's callers see it.
    var quarantined: QuarantinedChange {
        QuarantinedChange(ref: ChangeRef(deal: deal, document: document, change: change), blob: blob, code: code, reason: reason, at: at)
    }

    /// Adds the change to the quarantine (a change refused twice is there twice, with both reasons).
    ///
    /// - Throws: ``StoreError/database(_:)`` when SQLite refuses the write (a full disk, …).
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("quarantined change \(change) of \(deal)/\(document.rawValue)")) {
            try db.execute("INSERT INTO quarantine(deal_id, document, replica, seq, blob, reason, at, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           arguments: [.text(deal.rawValue), .text(document.rawValue), .replica(change.replica), .seq(change.seq),
                                       .blob(blob), .text(reason), .integer(at), .text(code.rawValue)])
        }
    }

    /// Every quarantined change, oldest first.
    ///
    /// - Throws: ``StoreError/corrupt(_:)`` for a row whose deal id or document document does not read.
    static func all(in db: SQLiteDatabase) throws(StoreError) -> [QuarantineRow] {
        try StoreRows.read {
            try db.query("SELECT deal_id, document, replica, seq, blob, code, reason, at FROM quarantine ORDER BY id") { row in
                QuarantineRow(deal: try StoreRows.deal(row.string(at: 0), in: "quarantine"),
                              document: try StoreRows.documentKind(row.string(at: 1), in: "quarantine"), change: row.changeID(at: 2),
                              blob: row.blob(at: 4), code: RefusalCode(rawValue: row.string(at: 5)), reason: row.string(at: 6), at: row.int64(at: 7))
            }
        }
    }
}
