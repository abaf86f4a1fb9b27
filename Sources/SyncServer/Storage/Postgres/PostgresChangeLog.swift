#if PostgreSQL
import CRDT
import DealCardKit
import Foundation
import PostgresKit
import SyncProtocol

/// The relay's change log in PostgreSQL, one log shared by every relay node that serves the
/// database (issue 14's first piece: the appends and the reads that decide what the other
/// storage methods build on).
///
/// **The database decides, not a node's memory.** An entry's identity (dealership, deal,
/// document, replica, change seq) is unique in the table; a second append of it is the same
/// record when its bytes are the same, and ``RelayStorageError/conflictingChange(deal:replica:changeSequence:)``
/// otherwise; a seq that is not its author's next in the log is
/// ``RelayStorageError/notNextChange(deal:replica:changeSequence:expected:)``. Both are
/// checked inside the appending transaction, against the table.
///
/// **Cursors never skip.** Every appending transaction first locks the one row of
/// `log_head` (`SELECT … FOR UPDATE`) and holds it until it commits. So appends are
/// serialized: a transaction reads the head only after the one before it committed, takes
/// the positions after it, and commits after it. The positions a reader can see are
/// therefore always 1 … the last committed head, with no hole a later commit could fill:
/// a reader handed cursor *c* has seen every entry at or before *c*, for good. (A
/// transaction that rolls back never moved the head; its positions are taken again by the
/// next one, and were never visible.) The price is one appender at a time across all nodes,
/// which a relay pays once per group commit, not once per change.
///
/// Each commit sends `NOTIFY dealsync_log` with the new head, for the nodes' fan-out.
public final class PostgresChangeLog: Sendable {
    /// The channel every commit notifies, with the new head as its payload.
    public static let channel = "dealsync_log"

    private let connection: PostgresConnection

    /// Opens the log on `connection`, creating or migrating its tables first (in one
    /// transaction, under an advisory lock, so that nodes starting together do not race).
    public init(connection: PostgresConnection) throws {
        self.connection = connection
        try PostgresSchema.migrate(connection)
    }

    /// The last committed position (0 for an empty log).
    public var latestPosition: LogPosition {
        get throws { LogPosition(try connection.execute("SELECT position FROM log_head WHERE id = 1")[0].int64(0)) }
    }

    /// Appends `entries` in one transaction, in order, and returns their records; an entry
    /// already in the log with the same bytes returns its stored record (a retried push).
    ///
    /// - Throws: ``RelayStorageError`` for a conflicting or out-of-order change (nothing of
    ///   the call is stored then); ``PostgresKit/PostgresError`` when the database fails.
    @discardableResult
    public func append(_ entries: [NewLogEntry]) throws -> [LogRecord] {
        guard !entries.isEmpty else { return [] }
        return try connection.transaction { db in
            // The lock that serializes appends across nodes (see the type's documentation).
            var head = try db.execute("SELECT position FROM log_head WHERE id = 1 FOR UPDATE")[0].int64(0)
            var lastSequence: [[String]: UInt64] = [:]
            var records: [LogRecord] = []
            records.reserveCapacity(entries.count)
            for entry in entries {
                let identity: [PostgresValue] = [
                    .text(entry.dealership), .text(entry.deal.rawValue), .text(entry.document.rawValue),
                    .int(Int64(bitPattern: entry.replica.rawValue)), .int(Int64(bitPattern: entry.changeSequence)),
                ]
                let existing = try db.execute(
                    "SELECT \(Self.columns) FROM change_log WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND replica = $4 AND change_seq = $5",
                    identity)
                if existing.count > 0 {
                    records.append(try LogAppendRules.retried(try Self.record(existing[0]), as: entry))
                    continue
                }
                let key = LogAppendRules.authorKey(entry)
                let last: UInt64
                if let known = lastSequence[key] {
                    last = known
                } else {
                    let stored = try db.execute(
                        "SELECT max(change_seq) FROM change_log WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND replica = $4",
                        Array(identity.prefix(4)))
                    last = stored[0].isNull(0) ? 0 : UInt64(bitPattern: try stored[0].int64(0))
                }
                try LogAppendRules.checkNext(entry, after: last)
                lastSequence[key] = entry.changeSequence
                head += 1
                try db.execute(
                    "INSERT INTO change_log(\(Self.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    [.int(head)] + identity + [
                        .bytes(entry.blob), .text(entry.author.user), .text(entry.author.role.rawValue), .text(entry.author.device),
                        .text(entry.author.channel.rawValue), .int(entry.receivedAt.storedMilliseconds),
                    ])
                records.append(LogRecord(position: LogPosition(head), entry: entry))
            }
            try db.execute("UPDATE log_head SET position = $1 WHERE id = 1", [.int(head)])
            try db.notify(Self.channel, String(head))
            return records
        }
    }

    /// The entries after `cursor`, in position order, at most `limit` of them.
    public func changes(after cursor: LogPosition, limit: Int) throws -> [LogRecord] {
        let rows = try connection.execute(
            "SELECT \(Self.columns) FROM change_log WHERE position > $1 ORDER BY position LIMIT $2",
            [.int(cursor.rawValue), .int(Int64(max(0, limit)))])
        return try rows.allRows.map(Self.record)
    }

    static let columns = """
        position, dealership, deal_id, document, replica, change_seq, blob, author_user, author_role, author_device, \
        author_channel, received_at
        """

    private static func record(_ row: PostgresResult.Row) throws -> LogRecord {
        func decoded<Value: RawRepresentable>(_ type: Value.Type, _ column: Int, _ name: String) throws -> Value where Value.RawValue == String {
            let text = try row.string(column)
            guard let value = Value(rawValue: text) else { throw RelayStorageError.unreadableValue(column: name, value: text) }
            return value
        }
        let dealText = try row.string(2)
        guard let deal = DealID(dealText) else { throw RelayStorageError.unreadableValue(column: "deal_id", value: dealText) }
        let author = LogAuthor(user: try row.string(7), role: try decoded(Role.self, 8, "author_role"), device: try row.string(9),
                               channel: try decoded(Channel.self, 10, "author_channel"))
        let entry = NewLogEntry(
            dealership: try row.string(1), deal: deal, document: try decoded(DealDocumentKind.self, 3, "document"),
            replica: ReplicaID(UInt64(bitPattern: try row.int64(4))), changeSequence: UInt64(bitPattern: try row.int64(5)),
            blob: try row.bytes(6), author: author, receivedAt: Date(storedMilliseconds: try row.int64(11)))
        return LogRecord(position: LogPosition(try row.int64(0)), entry: entry)
    }
}
#endif
