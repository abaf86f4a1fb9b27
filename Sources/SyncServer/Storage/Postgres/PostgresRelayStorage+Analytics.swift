#if PostgreSQL
import DealCardKit
import Foundation
import PostgresKit
import SyncProtocol

/// Tables `deal_analytics` and `deal_analytics_totals`, as in ``SQLiteRelayStorage``: one
/// row of ``DealFacts`` per deal with a logged change, current or stale, and per dealership
/// the totals of its current rows, moved in the transaction that writes a row.
extension PostgresRelayStorage {
    static let analyticsColumns = """
        dealership, deal_id, stale, state, stages, filled, required, last_channel, switches, channel_path, last_change_at, is_open
        """

    /// Stores `rows` and marks stale the rows of the other deals `appended` changed.
    static func saveAnalytics(_ rows: [DealAnalyticsRow], appended: [LogRecord], in db: PostgresConnection) throws {
        try saveAnalytics(rows, in: db)
        let given = Set(rows.map { DealKey(dealership: $0.dealership, deal: $0.deal) })
        let others = Set(appended.map { DealKey(dealership: $0.entry.dealership, deal: $0.entry.deal) }).subtracting(given)
        try markAnalyticsStale(others.sorted().map { ($0.dealership, $0.deal) }, in: db)
    }

    /// Marks the rows of `deals` stale, creating them when missing unless `existingOnly`, and
    /// takes their facts out of the totals.
    static func markAnalyticsStale(_ deals: some Sequence<(dealership: String, deal: DealID)>, existingOnly: Bool = false,
                                   in db: PostgresConnection) throws {
        var totals: [String: AnalyticsTotals] = [:]
        for (dealership, deal) in deals {
            if let old = try currentFacts(dealership, deal, in: db) { totals[dealership, default: .init()].add(AnalyticsTotals(old), sign: -1) }
            if existingOnly {
                try db.execute("UPDATE deal_analytics SET stale = true WHERE dealership = $1 AND deal_id = $2", [.text(dealership), .deal(deal)])
            } else {
                try db.execute(
                    """
                    INSERT INTO deal_analytics(dealership, deal_id, stale) VALUES ($1, $2, true)
                    ON CONFLICT (dealership, deal_id) DO UPDATE SET stale = true
                    """, [.text(dealership), .deal(deal)])
            }
        }
        try addTotals(totals, in: db)
    }

    /// Stores `rows` (each current, or removed without facts) and moves the totals by the
    /// difference.
    static func saveAnalytics(_ rows: [DealAnalyticsRow], in db: PostgresConnection) throws {
        var totals: [String: AnalyticsTotals] = [:]
        for row in rows {
            if let old = try currentFacts(row.dealership, row.deal, in: db) {
                totals[row.dealership, default: .init()].add(AnalyticsTotals(old), sign: -1)
            }
            guard let facts = row.facts else {
                try db.execute("DELETE FROM deal_analytics WHERE dealership = $1 AND deal_id = $2", [.text(row.dealership), .deal(row.deal)])
                continue
            }
            totals[row.dealership, default: .init()].add(AnalyticsTotals(facts))
            let columns = DealAnalyticsRow.columns(of: facts)
            try db.execute(
                """
                INSERT INTO deal_analytics(\(analyticsColumns)) VALUES ($1, $2, false, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (dealership, deal_id) DO UPDATE SET
                    stale = false, state = excluded.state, stages = excluded.stages, filled = excluded.filled, required = excluded.required,
                    last_channel = excluded.last_channel, switches = excluded.switches, channel_path = excluded.channel_path,
                    last_change_at = excluded.last_change_at, is_open = excluded.is_open
                """,
                [
                    .text(row.dealership), .deal(row.deal), .optionalText(facts.state), .text(columns.stages),
                    .int(Int64(facts.completeness.filled)), .int(Int64(facts.completeness.required)),
                    .optionalText(facts.lastChannel?.rawValue), .int(Int64(facts.switches)), .text(columns.channelPath),
                    facts.lastChange.map { .int($0) } ?? .null, .bool(columns.isOpen),
                ])
        }
        try addTotals(totals, in: db)
    }

    private static func addTotals(_ totals: [String: AnalyticsTotals], in db: PostgresConnection) throws {
        for (dealership, delta) in totals.sorted(by: { $0.key < $1.key }) {
            for (counter, value) in delta.counters.sorted(by: { $0.key < $1.key }) {
                try db.execute(
                    """
                    INSERT INTO deal_analytics_totals(dealership, counter, value) VALUES ($1, $2, $3)
                    ON CONFLICT (dealership, counter) DO UPDATE SET value = deal_analytics_totals.value + excluded.value
                    """, [.text(dealership), .text(counter), .int(value)])
            }
        }
    }

    /// The facts of a deal's current row; nil when it has none or a stale one.
    private static func currentFacts(_ dealership: String, _ deal: DealID, in db: PostgresConnection) throws -> DealFacts? {
        try db.execute("SELECT \(analyticsColumns) FROM deal_analytics WHERE dealership = $1 AND deal_id = $2 AND NOT stale",
                       [.text(dealership), .deal(deal)]).allRows.first.flatMap { try analyticsRow($0).row.facts }
    }

    public func staleAnalyticsDeals(limit: Int) throws -> [(dealership: String, deal: DealID)] {
        try connection.execute("SELECT dealership, deal_id FROM deal_analytics WHERE stale ORDER BY dealership, deal_id LIMIT $1",
                               [.int(Int64(max(0, limit)))]).allRows.map { row in (try row.string(0), try row.dealID(1)) }
    }

    public func saveAnalyticsRows(_ rows: [DealAnalyticsRow]) throws {
        guard !rows.isEmpty else { return }
        try connection.transaction { db in try Self.saveAnalytics(rows, in: db) }
    }

    public func analyticsRules() throws -> String? {
        try connection.execute("SELECT rules FROM deal_analytics_rules WHERE id = 1").allRows.first.map { try $0.string(0) }
    }

    public func restartAnalytics(rules: String) throws {
        try connection.transaction { db in
            try db.execute("""
                INSERT INTO deal_analytics(dealership, deal_id, stale) SELECT DISTINCT dealership, deal_id, true FROM change_log
                ON CONFLICT (dealership, deal_id) DO UPDATE SET stale = true
                """)
            try db.execute("UPDATE deal_analytics SET stale = true WHERE NOT stale")
            try db.execute("DELETE FROM deal_analytics_totals")
            try db.execute("INSERT INTO deal_analytics_rules(id, rules) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules",
                           [.text(rules)])
        }
    }

    public func makeAnalyticsReader() throws -> any DealAnalyticsReader {
        try PostgresAnalyticsReader(connectionString: connectionString)
    }

    /// A row of ``analyticsColumns``.
    static func analyticsRow(_ row: PostgresResult.Row) throws -> (row: DealAnalyticsRow, isStale: Bool) {
        try DealAnalyticsRow.stored(
            dealership: row.string(0), deal: row.dealID(1), isStale: row.bool(2), state: row.optionalString(3), stages: row.string(4),
            filled: row.int64(5), required: row.int64(6), lastChannel: row.optionalString(7), switches: row.int64(8),
            channelPath: row.string(9), lastChange: row.isNull(10) ? nil : row.int64(10))
    }
}

/// ``DealAnalyticsReader`` over a connection of its own: each report is read in one
/// `REPEATABLE READ` transaction, so it sees one committed state while the nodes go on
/// writing, and never holds the relay's own connection.
/// `@unchecked Sendable`: the connection and the closed flag are only touched under `turn`.
final class PostgresAnalyticsReader: DealAnalyticsReader, @unchecked Sendable {
    private let connection: PostgresConnection
    /// One report at a time: a transaction's statements must not interleave with another's.
    private let turn = NSLock()
    private var isClosed = false

    init(connectionString: String) throws {
        connection = try PostgresConnection(connectionString)
    }

    func read(_ query: AnalyticsQuery) throws -> AnalyticsSummary? {
        try turn.withLock {
            guard !isClosed else { throw RelayStorageError.storeClosed }
            return try read(query, on: connection)
        }
    }

    private func read(_ query: AnalyticsQuery, on connection: PostgresConnection) throws -> AnalyticsSummary? {
        try connection.transaction(isolation: "REPEATABLE READ") { db -> AnalyticsSummary? in
            let cursor = try PostgresRelayStorage.latestPosition(in: db)
            var arguments = PostgresArguments()
            var filter = "dealership = \(arguments(.text(query.scope.dealership)))"
            if let deal = query.scope.deal { filter += " AND deal_id = \(arguments(.deal(deal)))" }
            if let buyer = query.scope.buyerUser {
                filter += " AND deal_id IN (SELECT id FROM deal WHERE dealership = $1 AND buyer_user = \(arguments(.text(buyer))))"
            }
            let scoped = arguments.values
            guard try db.execute("SELECT 1 FROM deal_analytics WHERE stale AND \(filter) LIMIT 1", scoped).count == 0 else { return nil }
            var totals = AnalyticsTotals()
            if query.scope.deal == nil && query.scope.buyerUser == nil {
                var counters: [String: Int64] = [:]
                for row in try db.execute("SELECT counter, value FROM deal_analytics_totals WHERE dealership = $1", [scoped[0]]).allRows {
                    counters[try row.string(0)] = try row.int64(1)
                }
                totals = AnalyticsTotals(counters: counters)
            } else {
                for row in try db.execute("SELECT \(PostgresRelayStorage.analyticsColumns) FROM deal_analytics WHERE NOT stale AND \(filter)",
                                          scoped).allRows {
                    if let facts = try PostgresRelayStorage.analyticsRow(row).row.facts { totals.add(AnalyticsTotals(facts)) }
                }
            }
            let next = "$\(scoped.count + 1)"
            let mostSwitches = try db.execute(
                """
                SELECT deal_id, switches, channel_path FROM deal_analytics
                WHERE NOT stale AND switches > 0 AND \(filter) ORDER BY switches DESC, deal_id LIMIT \(next)
                """, scoped + [.int(Int64(query.switchesLimit))]
            ).allRows.map { row in
                AnalyticsSummary.SwitchingDeal(deal: try row.dealID(0), switches: Int(clamping: try row.int64(1)),
                                               path: try DealAnalyticsRow.channelPath(try row.string(2)))
            }
            let idle = "NOT stale AND is_open AND last_change_at IS NOT NULL AND last_change_at < \(next) AND \(filter)"
            let idleArguments = scoped + [.int(query.idleBefore)]
            let idleCount = try db.execute("SELECT count(*) FROM deal_analytics WHERE \(idle)", idleArguments)[0].int64(0)
            let idleDeals = try db.execute(
                "SELECT deal_id, last_change_at FROM deal_analytics WHERE \(idle) ORDER BY last_change_at, deal_id LIMIT $\(scoped.count + 2)",
                idleArguments + [.int(Int64(query.idleLimit))]
            ).allRows.map { row in AnalyticsSummary.IdleDeal(deal: try row.dealID(0), lastChange: try row.int64(1)) }
            return AnalyticsSummary(cursor: cursor, totals: totals, mostSwitches: mostSwitches, idleCount: Int(clamping: idleCount),
                                    idle: idleDeals)
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
