import DealCardKit
import Foundation
import SQLiteKit

/// Table `deal_analytics`: one row per deal with at least one logged change, holding its
/// ``DealFacts`` as plain columns; table `deal_analytics_totals`: per dealership the
/// ``AnalyticsTotals`` of its current rows, moved with every row written. A row is current
/// (`stale = 0`) or stale: appended to without a new row, its entries set aside, computed
/// under other rules, or left by the migration for the relay to compute
/// (``RelayStorage/staleAnalyticsDeals(limit:)``). Stale rows count in no total.
extension SQLiteRelayStorage {
    static let analyticsColumns = """
        dealership, deal_id, stale, state, stages, filled, required, last_channel, switches, channel_path, last_change_at, is_open
        """

    public func appendChanges(_ entries: [NewLogEntry], analytics: [DealAnalyticsRow]) throws -> [LogRecord] {
        guard !entries.isEmpty || !analytics.isEmpty else { return [] }
        return try database.transaction { db in
            let records = try Self.append(entries, in: db)
            try Self.saveAnalytics(analytics, appended: records, in: db)
            return records
        }
    }

    /// Stores `rows` and marks stale the rows of the other deals `appended` changed, inside
    /// the caller's transaction, moving the dealerships' totals along.
    static func saveAnalytics(_ rows: [DealAnalyticsRow], appended: [LogRecord], in db: SQLiteDatabase) throws {
        try saveAnalytics(rows, in: db)
        let given = Set(rows.map { DealKey(dealership: $0.dealership, deal: $0.deal) })
        let others = Set(appended.map { DealKey(dealership: $0.entry.dealership, deal: $0.entry.deal) }).subtracting(given)
        try markAnalyticsStale(others.sorted().map { ($0.dealership, $0.deal) }, in: db)
    }

    /// Marks the rows of `deals` stale inside the caller's transaction, creating them when
    /// missing (a deal's first change) unless `existingOnly`, and takes their facts out of
    /// the totals.
    static func markAnalyticsStale(_ deals: some Sequence<(dealership: String, deal: DealID)>, existingOnly: Bool = false,
                                   in db: SQLiteDatabase) throws {
        var totals: [String: AnalyticsTotals] = [:]
        for (dealership, deal) in deals {
            if let old = try currentFacts(dealership, deal, in: db) { totals[dealership, default: .init()].add(AnalyticsTotals(old), sign: -1) }
            if existingOnly {
                try db.execute("UPDATE deal_analytics SET stale = 1 WHERE dealership = ? AND deal_id = ?", arguments: [.text(dealership), .deal(deal)])
                continue
            }
            try db.execute(
                """
                INSERT INTO deal_analytics(dealership, deal_id, stale) VALUES (?, ?, 1)
                ON CONFLICT(dealership, deal_id) DO UPDATE SET stale = 1
                """,
                arguments: [.text(dealership), .deal(deal)])
        }
        try addTotals(totals, in: db)
    }

    /// Stores `rows` inside the caller's transaction (each current, or removed without
    /// facts), and moves the totals by the difference.
    static func saveAnalytics(_ rows: [DealAnalyticsRow], in db: SQLiteDatabase) throws {
        var totals: [String: AnalyticsTotals] = [:]
        for row in rows {
            if let old = try currentFacts(row.dealership, row.deal, in: db) {
                totals[row.dealership, default: .init()].add(AnalyticsTotals(old), sign: -1)
            }
            guard let facts = row.facts else {
                try db.execute("DELETE FROM deal_analytics WHERE dealership = ? AND deal_id = ?", arguments: [.text(row.dealership), .deal(row.deal)])
                continue
            }
            totals[row.dealership, default: .init()].add(AnalyticsTotals(facts))
            try db.execute(
                """
                INSERT INTO deal_analytics(\(analyticsColumns)) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(dealership, deal_id) DO UPDATE SET
                    stale = 0, state = excluded.state, stages = excluded.stages, filled = excluded.filled, required = excluded.required,
                    last_channel = excluded.last_channel, switches = excluded.switches, channel_path = excluded.channel_path,
                    last_change_at = excluded.last_change_at, is_open = excluded.is_open
                """,
                arguments: [
                    .text(row.dealership), .deal(row.deal), .optionalText(facts.state), .text(DealAnalyticsRow.stageLetters(facts.stages)),
                    .integer(Int64(facts.completeness.filled)), .integer(Int64(facts.completeness.required)),
                    .optionalText(facts.lastChannel?.rawValue), .integer(Int64(facts.switches)),
                    .text(facts.path.map(\.rawValue).joined(separator: " ")), facts.lastChange.map { .integer($0) } ?? .null,
                    .integer(DealAnalytics.closedStates.contains(facts.state ?? "") ? 0 : 1),
                ])
        }
        try addTotals(totals, in: db)
    }

    /// Adds `totals` (per dealership) to the stored ones.
    private static func addTotals(_ totals: [String: AnalyticsTotals], in db: SQLiteDatabase) throws {
        for (dealership, delta) in totals.sorted(by: { $0.key < $1.key }) {
            for (counter, value) in delta.counters.sorted(by: { $0.key < $1.key }) {
                try db.execute(
                    """
                    INSERT INTO deal_analytics_totals(dealership, counter, value) VALUES (?, ?, ?)
                    ON CONFLICT(dealership, counter) DO UPDATE SET value = value + excluded.value
                    """,
                    arguments: [.text(dealership), .text(counter), .integer(value)])
            }
        }
    }

    /// The facts of a deal's current row; nil when it has none or a stale one.
    private static func currentFacts(_ dealership: String, _ deal: DealID, in db: SQLiteDatabase) throws -> DealFacts? {
        try db.query("SELECT \(analyticsColumns) FROM deal_analytics WHERE dealership = ? AND deal_id = ? AND stale = 0",
                     [.text(dealership), .deal(deal)]) { try analyticsRow($0).row.facts }.first ?? nil
    }

    public func staleAnalyticsDeals(limit: Int) throws -> [(dealership: String, deal: DealID)] {
        try database.query(
            "SELECT dealership, deal_id FROM deal_analytics WHERE stale = 1 ORDER BY dealership, deal_id LIMIT ?", [.integer(Int64(limit))]
        ) { row in (row.string(at: 0), try row.dealID(at: 1)) }
    }

    public func saveAnalyticsRows(_ rows: [DealAnalyticsRow]) throws {
        guard !rows.isEmpty else { return }
        try database.transaction { db in try Self.saveAnalytics(rows, in: db) }
    }

    public func analyticsRules() throws -> String? {
        try database.scalar("SELECT rules FROM deal_analytics_rules WHERE id = 1")?.string
    }

    public func restartAnalytics(rules: String) throws {
        try database.transaction { db in
            // Every deal with a logged change gets a row to compute, whatever the table held;
            // with no current row left, every total is 0.
            try db.execute("""
                INSERT INTO deal_analytics(dealership, deal_id, stale) SELECT DISTINCT dealership, deal_id, 1 FROM change_log WHERE true
                ON CONFLICT(dealership, deal_id) DO UPDATE SET stale = 1
                """)
            try db.execute("UPDATE deal_analytics SET stale = 1 WHERE stale = 0")
            try db.execute("DELETE FROM deal_analytics_totals")
            try db.execute("INSERT INTO deal_analytics_rules(id, rules) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET rules = excluded.rules",
                           arguments: [.text(rules)])
        }
    }

    public func makeAnalyticsReader() throws -> any DealAnalyticsReader {
        try SQLiteAnalyticsReader(path: path)
    }

    /// Every row of `dealership` as stored, in deal id order, stale ones flagged (tests and
    /// tools).
    /// - Throws: ``RelayStorageError/unreadableValue(column:value:)`` for a row that holds no facts.
    func analyticsRows(dealership: String) throws -> [(row: DealAnalyticsRow, isStale: Bool)] {
        try database.query("SELECT \(Self.analyticsColumns) FROM deal_analytics WHERE dealership = ? ORDER BY deal_id", [.text(dealership)]) {
            try Self.analyticsRow($0)
        }
    }

    /// The stored totals of `dealership` (tests and tools).
    func analyticsTotals(dealership: String) throws -> AnalyticsTotals {
        try SQLiteAnalyticsReader.totals(dealership, in: database)
    }

    /// A row of ``analyticsColumns``; a stale row's facts are what it last held.
    static func analyticsRow(_ row: Statement) throws -> (row: DealAnalyticsRow, isStale: Bool) {
        try DealAnalyticsRow.stored(
            dealership: row.string(at: 0), deal: row.dealID(at: 1), isStale: row.int64(at: 2) != 0, state: row.optionalString(at: 3),
            stages: row.string(at: 4), filled: row.int64(at: 5), required: row.int64(at: 6), lastChannel: row.optionalString(at: 7),
            switches: row.int64(at: 8), channelPath: row.string(at: 9), lastChange: row.isNull(at: 10) ? nil : row.int64(at: 10))
    }
}
