import DealCardKit
import Foundation
import SQLiteKit
import SyncProtocol

/// ``DealAnalyticsReader`` over a second connection to `relay.sqlite`, `query_only`: in WAL
/// mode its read transaction sees one committed state of the store while the relay's own
/// connection goes on writing, so a report never holds a push.
///
/// `@unchecked Sendable`: the connection is only touched under ``lock`` (a connection has one
/// user at a time; a `Mutex` of it cannot lend it to a caller's non-sendable row callback).
final class SQLiteAnalyticsReader: DealAnalyticsReader, @unchecked Sendable {
    private let lock = NSLock()
    private var database: SQLiteDatabase?
    /// The select list: `status.state` and the last channel as positions in their names,
    /// worked out by SQLite, so that most rows are read as numbers only.
    private let columns: String
    private static let channels = Channel.allCases

    /// Opens the store at `path` (which the relay's storage has open and migrated).
    init(path: String, stateNames: [String]) throws {
        let database = try SQLiteDatabase(path: path, options: .init(create: false, walJournal: false))
        do {
            try database.execute("PRAGMA query_only = ON")
        } catch {
            database.close()
            throw error
        }
        self.database = database
        columns = """
            stale, \(Self.code("state", of: stateNames)), state, stages, filled, required, \
            \(Self.code("last_channel", of: Self.channels.map(\.rawValue))), last_channel, switches, last_change_at, deal_id, channel_path
            """
    }

    /// `column`'s value as its position in `names`: -1 for NULL, -2 for another value.
    private static func code(_ column: String, of names: [String]) -> String {
        let cases = names.enumerated().map { index, name in " WHEN '\(name.replacingOccurrences(of: "'", with: "''"))' THEN \(index)" }
        return "CASE WHEN \(column) IS NULL THEN -1 ELSE CASE \(column)\(cases.joined()) ELSE -2 END END"
    }

    /// - Complexity: one indexed range of the table, in its primary key order (no sort).
    func read(_ scope: AnalyticsScope, _ body: (any StoredAnalyticsRow) throws -> Void) throws -> LogPosition? {
        try lock.withLock { () -> LogPosition? in
            guard let database else { throw RelayStorageError.storeClosed }
            var sql = "SELECT \(columns) FROM deal_analytics WHERE dealership = ?"
            var arguments: [SQLiteValue] = [.text(scope.dealership)]
            if let deal = scope.deal {
                sql += " AND deal_id = ?"
                arguments.append(.deal(deal))
            }
            if let buyer = scope.buyerUser {
                sql += " AND deal_id IN (SELECT id FROM deal WHERE dealership = ? AND buyer_user = ?)"
                arguments += [.text(scope.dealership), .text(buyer)]
            }
            sql += " ORDER BY deal_id"
            return try database.transaction(.deferred) { db -> LogPosition? in
                // The same read transaction as the rows: the position they are current to.
                let cursor = LogPosition(try db.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'")?.int64 ?? 0)
                var isStale = false
                try db.forEachRow(sql, arguments) { statement in
                    guard statement.int64(at: 0) == 0 else {
                        isStale = true
                        return false
                    }
                    try body(Row(statement: statement))
                    return true
                }
                return isStale ? nil : cursor
            }
        }
    }

    func close() {
        lock.withLock {
            database?.close()
            database = nil
        }
    }

    /// The current row of the reader's statement.
    private struct Row: StoredAnalyticsRow {
        let statement: Statement

        var stateCode: Int { Int(statement.int64(at: 1)) }
        func stateName() -> String? { statement.optionalString(at: 2) }
        func withStageLetters<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
            try statement.withUnsafeBlob(at: 3, body)
        }
        var filled: Int64 { statement.int64(at: 4) }
        var required: Int64 { statement.int64(at: 5) }
        func lastChannel() throws -> Channel? {
            let code = Int(statement.int64(at: 6))
            if code == -1 { return nil }
            guard code >= 0 && code < SQLiteAnalyticsReader.channels.count else {
                throw RelayStorageError.unreadableValue(column: "last_channel", value: statement.string(at: 7))
            }
            return SQLiteAnalyticsReader.channels[code]
        }
        var switches: Int64 { statement.int64(at: 8) }
        var lastChangeAt: Int64? { statement.isNull(at: 9) ? nil : statement.int64(at: 9) }
        func deal() throws -> DealID { try statement.dealID(at: 10) }
        func path() throws -> [Channel] { try SQLiteRelayStorage.channelPath(statement.string(at: 11)) }
    }
}
