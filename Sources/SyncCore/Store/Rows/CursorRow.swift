import SQLiteKit
import SyncProtocol

/// One row of the `cursors` table: how far into a relay's change log this device has read,
/// and when it last synced with that relay.
struct CursorRow: Equatable {
    /// The relay, as the sync session names it (its URL).
    var relay: String
    /// The log position read up to (``LogPosition/start`` before the first sync).
    var cursor: LogPosition
    /// Milliseconds since 1970 of the sync that saved the cursor.
    var syncedAt: Int64?

    /// Saves the cursor for the relay. The cursor never moves back (two overlapping syncs may
    /// finish out of order); ``syncedAt`` is always the new one.
    ///
    /// - Throws: ``StoreError/database(_:)`` when SQLite refuses the write (a full disk, …).
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the cursor for \(relay)")) {
            try db.execute("""
                INSERT INTO cursors(relay, cursor, synced_at) VALUES (?, ?, ?)
                ON CONFLICT(relay) DO UPDATE SET cursor = max(cursor, excluded.cursor), synced_at = excluded.synced_at
                """, arguments: [.text(relay), .integer(cursor.rawValue), syncedAt.map { .integer($0) } ?? .null])
        }
    }

    /// The relay's cursor, or nil when the device never synced with it (or forgot it).
    static func find(relay: String, in db: SQLiteDatabase) throws(StoreError) -> CursorRow? {
        try StoreRows.read {
            try db.query("SELECT cursor, synced_at FROM cursors WHERE relay = ?", [.text(relay)]) { row in
                CursorRow(relay: relay, cursor: LogPosition(row.int64(at: 0)), syncedAt: row.isNull(at: 1) ? nil : row.int64(at: 1))
            }.first
        }
    }

    /// Forgets the relay's cursor.
    static func delete(relay: String, in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of the cursor for \(relay)")) {
            try db.execute("DELETE FROM cursors WHERE relay = ?", arguments: [.text(relay)])
        }
    }
}
