import SQLiteKit
/// Questions about the store's tables as a whole, for tests and diagnostics.
enum StoreTables {
    /// The tables a row count may be asked of.
    static let names: Set<String> = ["deals", "documents", "changes", "outbox", "quarantine", "cursors"]

    /// Rows in `table`.
    ///
    /// - Precondition: `table` is one of ``names`` (it is spliced into the SQL).
    static func rowCount(_ table: String, in db: SQLiteDatabase) throws(StoreError) -> Int {
        precondition(names.contains(table), "no store table \(table)")
        return try StoreRows.read { Int(try db.scalar("SELECT count(*) FROM \(table)")?.int64 ?? 0) }
    }

    /// Pages in the database file.
    static func pageCount(in db: SQLiteDatabase) throws(StoreError) -> Int64 {
        try StoreRows.read { try db.scalar("PRAGMA page_count")?.int64 ?? 0 }
    }

    /// Caps the database file at `pages` pages, as a full disk would.
    static func limitPages(to pages: Int64, in db: SQLiteDatabase) throws(StoreError) {
        // PRAGMA values cannot be bound; `pages` is an integer.
        try StoreRows.read { _ = try db.scalar("PRAGMA max_page_count = \(pages)") }
    }
}
