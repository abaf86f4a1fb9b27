import DealCardKit
import Foundation
import SQLiteKit
import SyncProtocol

/// ``DealAnalyticsReader`` over a second connection to `relay.sqlite`, `query_only`: in WAL
/// mode its read transaction sees one committed state of the store while the relay's own
/// connection goes on writing, so a report never holds a push.
///
/// `@unchecked Sendable`: the connection is only touched under ``lock`` (a connection has one
/// user at a time).
final class SQLiteAnalyticsReader: DealAnalyticsReader, @unchecked Sendable {
    private let lock = NSLock()
    private var database: SQLiteDatabase?

    /// Opens the store at `path` (which the relay's storage has open and migrated).
    init(path: String) throws {
        database = try SQLiteRelayStorage.openReader(path: path)
    }

    /// - Complexity: for a whole dealership, its totals (a few dozen rows), the first
    ///   `switchesLimit` and `idleLimit` entries of two indexes, and a count over the index
    ///   range of its idle deals; for a narrower scope, its rows.
    func read(_ query: AnalyticsQuery) throws -> AnalyticsSummary? {
        try lock.withLock {
            guard let database else { throw RelayStorageError.storeClosed }
            return try database.transaction(.deferred) { db -> AnalyticsSummary? in
                // All in one read transaction: the position is the one the rows are current to.
                let cursor = LogPosition(try db.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'")?.int64 ?? 0)
                let (filter, arguments) = Self.filter(query.scope)
                guard try db.scalar("SELECT 1 FROM deal_analytics WHERE stale = 1 AND \(filter) LIMIT 1", arguments) == nil else { return nil }
                let totals: AnalyticsTotals
                if query.scope.deal == nil && query.scope.buyerUser == nil {
                    totals = try Self.totals(query.scope.dealership, in: db)
                } else {
                    var sum = AnalyticsTotals()
                    try db.forEachRow("SELECT \(SQLiteRelayStorage.analyticsColumns) FROM deal_analytics WHERE stale = 0 AND \(filter)", arguments) {
                        if let facts = try SQLiteRelayStorage.analyticsRow($0).row.facts { sum.add(AnalyticsTotals(facts)) }
                        return true
                    }
                    totals = sum
                }
                let mostSwitches = try db.query(
                    """
                    SELECT deal_id, switches, channel_path FROM deal_analytics
                    WHERE stale = 0 AND switches > 0 AND \(filter) ORDER BY switches DESC, deal_id LIMIT ?
                    """, arguments + [.integer(Int64(query.switchesLimit))]
                ) { row in
                    AnalyticsSummary.SwitchingDeal(deal: try row.dealID(at: 0), switches: Int(clamping: row.int64(at: 1)),
                                                   path: try DealAnalyticsRow.channelPath(row.string(at: 2)))
                }
                let idle = "stale = 0 AND is_open = 1 AND last_change_at IS NOT NULL AND last_change_at < ? AND \(filter)"
                let idleArguments = [SQLiteValue.integer(query.idleBefore)] + arguments
                let idleCount = try db.scalar("SELECT count(*) FROM deal_analytics WHERE \(idle)", idleArguments)?.int64 ?? 0
                let idleDeals = try db.query(
                    "SELECT deal_id, last_change_at FROM deal_analytics WHERE \(idle) ORDER BY last_change_at, deal_id LIMIT ?",
                    idleArguments + [.integer(Int64(query.idleLimit))]
                ) { row in AnalyticsSummary.IdleDeal(deal: try row.dealID(at: 0), lastChange: row.int64(at: 1)) }
                return AnalyticsSummary(cursor: cursor, totals: totals, mostSwitches: mostSwitches, idleCount: Int(clamping: idleCount),
                                        idle: idleDeals)
            }
        }
    }

    /// The rows `scope` reaches, as a condition on `deal_analytics` and its arguments.
    private static func filter(_ scope: AnalyticsScope) -> (String, [SQLiteValue]) {
        var sql = "dealership = ?"
        var arguments: [SQLiteValue] = [.text(scope.dealership)]
        if let deal = scope.deal {
            sql += " AND deal_id = ?"
            arguments.append(.deal(deal))
        }
        if let buyer = scope.buyerUser {
            sql += " AND deal_id IN (SELECT id FROM deal WHERE dealership = ? AND buyer_user = ?)"
            arguments += [.text(scope.dealership), .text(buyer)]
        }
        return (sql, arguments)
    }

    /// The stored totals of `dealership`.
    static func totals(_ dealership: String, in db: SQLiteDatabase) throws -> AnalyticsTotals {
        var counters: [String: Int64] = [:]
        try db.forEachRow("SELECT counter, value FROM deal_analytics_totals WHERE dealership = ?", [.text(dealership)]) { row in
            counters[row.string(at: 0)] = row.int64(at: 1)
            return true
        }
        return AnalyticsTotals(counters: counters)
    }

    func close() {
        lock.withLock {
            database?.close()
            database = nil
        }
    }
}
