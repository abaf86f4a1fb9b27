import DealCardKit
import SQLiteKit

/// One row of the `deal_fetch` table: a deal to ask the relay for whole in the next sync
/// (``DeviceStore/requestFetch(_:)``), until an answer brings it or says it is unknown.
struct DealFetchRow: Equatable {
    var deal: DealID
    /// Milliseconds since 1970 when it was asked for.
    var requestedAt: Int64

    /// Adds the deal (kept as first asked when it is there already).
    func insert(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the request to fetch deal \(deal)")) {
            try db.execute("INSERT INTO deal_fetch(deal_id, requested_at) VALUES (?, ?) ON CONFLICT(deal_id) DO NOTHING",
                           arguments: [.text(deal.rawValue), .integer(requestedAt)])
        }
    }

    /// The deals waiting, oldest request first.
    static func oldest(limit: Int, in db: SQLiteDatabase) throws(StoreError) -> [DealID] {
        try StoreRows.read {
            try db.query("SELECT deal_id FROM deal_fetch ORDER BY requested_at, deal_id LIMIT ?", [.integer(Int64(limit))]) {
                try StoreRows.deal($0.string(at: 0), in: "deal_fetch")
            }
        }
    }

    /// Forgets these deals' requests.
    static func delete(_ deals: [DealID], in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the removal of fetched deals")) {
            for deal in deals { try db.execute("DELETE FROM deal_fetch WHERE deal_id = ?", arguments: [.text(deal.rawValue)]) }
        }
    }
}

/// The closed-deal window of a relay's first sync, kept beside its cursor (``CursorRow``).
struct FirstSyncWindowRow: Equatable {
    var relay: String
    /// Days; nil when the relay sent every deal (or did not say).
    var closedDealDays: Int?
    /// Deals the window left out.
    var archivedDeals: Int?

    /// Saves it on the relay's cursor row (made at cursor 0 if there is none yet; the cursor
    /// itself is saved after, by ``CursorRow/insert(in:)``).
    func save(in db: SQLiteDatabase) throws(StoreError) {
        try StoreRows.run(StoreRows.refused("the first-sync window for \(relay)")) {
            try db.execute("""
                INSERT INTO cursors(relay, cursor, closed_deal_days, archived_deals) VALUES (?1, 0, ?2, ?3)
                ON CONFLICT(relay) DO UPDATE SET closed_deal_days = ?2, archived_deals = ?3
                """, arguments: [.text(relay), closedDealDays.map { .integer(Int64($0)) } ?? .null,
                                  archivedDeals.map { .integer(Int64($0)) } ?? .null])
        }
    }

    /// The relay's window, or nil when no first sync with it recorded one.
    static func find(relay: String, in db: SQLiteDatabase) throws(StoreError) -> FirstSyncWindowRow? {
        try StoreRows.read {
            try db.query("SELECT closed_deal_days, archived_deals FROM cursors WHERE relay = ? AND (closed_deal_days IS NOT NULL OR archived_deals IS NOT NULL)",
                         [.text(relay)]) { row in
                FirstSyncWindowRow(relay: relay, closedDealDays: row.isNull(at: 0) ? nil : Int(row.int64(at: 0)),
                                   archivedDeals: row.isNull(at: 1) ? nil : Int(row.int64(at: 1)))
            }.first
        }
    }
}
