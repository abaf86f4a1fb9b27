#if PostgreSQL
import CRDT
import DealCardKit
import Foundation
import PostgresKit
import SyncProtocol

/// The relay's storage in a shared PostgreSQL database, for a relay that runs as several
/// stateless nodes (`sync-server serve --postgres URL`): every node opens one of these on the
/// same database, and the database, not a node's memory, decides what is stored.
///
/// The tables are those of ``SQLiteRelayStorage`` (``PostgresSchema``), with two
/// differences a shared database needs:
///
/// - **Appends are serialized across nodes.** Every appending transaction first locks the
///   one row of `log_head` (`SELECT … FOR UPDATE`) and holds it until it commits. A
///   transaction therefore reads the head only after the one before it committed, takes the
///   positions after it, and commits after it: the positions a reader can see are always
///   1 … the last committed head, with no hole that a later commit could fill. A reader
///   handed cursor *c* has seen every entry at or before *c*, for good. (A transaction that
///   rolls back never moved the head, and its positions were never visible.) The price is
///   one appender at a time across all nodes, paid once per group commit, not per change.
/// - **Every commit that appends notifies** channel ``channel`` with the new head, so the
///   other nodes drop what they hold of the documents it changed and wake their long-polls
///   (``PostgresLogListener``).
///
/// An entry's identity (dealership, deal, document, replica, change seq) is unique in
/// `change_log`; a second append of it is the stored record when its bytes are the same and
/// ``RelayStorageError/conflictingChange(deal:replica:changeSequence:)`` otherwise, and a seq
/// that is not its author's next is ``RelayStorageError/notNextChange(deal:replica:changeSequence:expected:)``,
/// checked inside the appending transaction, under the lock.
///
/// Calls block the calling thread for a round trip to the server (as ``SQLiteRelayStorage``
/// blocks for its fsync). One owner, as ``RelayStorage`` says; readers for use off the
/// relay's actor open connections of their own.
public final class PostgresRelayStorage: RelayStorage {
    /// The channel every appending commit notifies, with the new head as its payload.
    public static let channel = "dealsync_log"

    /// The libpq connection string (or `postgresql://` URL) the storage was opened with.
    public let connectionString: String
    let connection: PostgresConnection

    /// Connects to the database at `connectionString` and brings its relay schema up to date
    /// (``PostgresSchema``; nodes that start together migrate once).
    ///
    /// - Throws: ``PostgresKit/PostgresError`` when the server cannot be reached or refuses,
    ///   or when the database was migrated by a newer build.
    public init(_ connectionString: String) throws {
        self.connectionString = connectionString
        connection = try PostgresConnection(connectionString)
        do {
            try PostgresSchema.migrate(connection)
        } catch {
            connection.close()
            throw error
        }
    }

    /// The number of the last schema step applied.
    public var schemaVersion: Int {
        get throws { Int(try connection.execute("SELECT coalesce(max(version), 0) FROM schema_migration")[0].int64(0)) }
    }

    public var storeSizeBytes: Int64 {
        get throws { try connection.execute("SELECT pg_database_size(current_database())")[0].int64(0) }
    }

    public func close() {
        connection.close()
    }

    // MARK: Tokens

    static let tokenColumns = "id, hash, user_name, role, dealership, device, deal_id, created_at, expires_at, revoked, relay"

    public func insertToken(_ token: TokenRecord) throws {
        do {
            try connection.execute(
                "INSERT INTO token(\(Self.tokenColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                [
                    .text(token.id), .text(token.storedHash), .text(token.user), .text(token.role.rawValue), .text(token.dealership),
                    .optionalText(token.device), .optionalText(token.deal), .milliseconds(token.createdAt),
                    .milliseconds(token.expiresAt), .bool(token.isRevoked), .bool(token.isRelay),
                ])
        } catch {
            guard error.isUniqueViolation else { throw error }
            throw RelayStorageError.duplicateToken(id: token.id)
        }
    }

    public func token(forHash hash: String) throws -> TokenRecord? {
        let rows = try connection.execute("SELECT \(Self.tokenColumns) FROM token WHERE hash = $1", [.text(hash.lowercased())])
        return try rows.allRows.first.map(Self.tokenRecord)
    }

    public func tokens() throws -> [TokenRecord] {
        try connection.execute("SELECT \(Self.tokenColumns) FROM token ORDER BY created_at, id COLLATE \"C\"").allRows.map(Self.tokenRecord)
    }

    public func revokeToken(id: String) throws {
        guard try connection.execute("UPDATE token SET revoked = true WHERE id = $1", [.text(id)]).affectedRows > 0 else {
            throw RelayStorageError.unknownToken(id: id)
        }
    }

    private static func tokenRecord(_ row: PostgresResult.Row) throws -> TokenRecord {
        TokenRecord(
            id: try row.string(0), storedHash: try row.string(1), user: try row.string(2), role: try row.decoded(Role.self, 3),
            dealership: try row.string(4), device: try row.optionalString(5), deal: try row.optionalString(6),
            createdAt: try row.date(7), expiresAt: try row.date(8), isRevoked: try row.bool(9), isRelay: try row.bool(10))
    }

    // MARK: Deals

    public func insertDeal(_ deal: DealRecord) throws {
        try connection.transaction { db in try Self.insertDeal(deal, in: db) }
    }

    /// ``insertDeal(_:)`` inside the caller's transaction.
    static func insertDeal(_ deal: DealRecord, in db: PostgresConnection) throws {
        let inserted = try db.execute(
            """
            INSERT INTO deal(id, dealership, buyer_user, created_at, created_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (dealership, id) DO NOTHING
            """,
            [.deal(deal.id), .text(deal.dealership), .optionalText(deal.buyerUser), .milliseconds(deal.createdAt), .text(deal.createdBy)])
        guard inserted.affectedRows == 0 else { return }
        // Compare as stored (times to the millisecond), so a retry with the same values passes.
        var asStored = deal
        asStored.createdAt = deal.createdAt.roundedToStoredPrecision
        guard try Self.deal(dealership: deal.dealership, id: deal.id, in: db) == asStored else {
            throw RelayStorageError.conflictingDeal(id: deal.id)
        }
    }

    public func deal(dealership: String, id: DealID) throws -> DealRecord? {
        try Self.deal(dealership: dealership, id: id, in: connection)
    }

    static func deal(dealership: String, id: DealID, in db: PostgresConnection) throws -> DealRecord? {
        try db.execute("SELECT id, dealership, buyer_user, created_at, created_by FROM deal WHERE dealership = $1 AND id = $2",
                       [.text(dealership), .deal(id)]).allRows.first.map { row in
            DealRecord(id: try row.dealID(0), dealership: try row.string(1), buyerUser: try row.optionalString(2),
                       createdAt: try row.date(3), createdBy: try row.string(4))
        }
    }

    public func dealIDs(dealership: String) throws -> [DealID] {
        try connection.execute("SELECT id FROM deal WHERE dealership = $1 ORDER BY id", [.text(dealership)]).allRows.map { try $0.dealID(0) }
    }

    public func dealIDs(dealership: String, buyerUser: String) throws -> [DealID] {
        try connection.execute("SELECT id FROM deal WHERE dealership = $1 AND buyer_user = $2 ORDER BY id",
                               [.text(dealership), .text(buyerUser)]).allRows.map { try $0.dealID(0) }
    }

    // MARK: Replicas

    public func bindReplica(_ replica: ReplicaID, device: String, user: String, at date: Date) throws -> ReplicaBinding {
        try connection.execute(
            "INSERT INTO replica(replica, device, user_name, bound_at) VALUES ($1, $2, $3, $4) ON CONFLICT (replica) DO NOTHING",
            [.replica(replica), .text(device), .text(user), .milliseconds(date)])
        // Whoever bound it first (this call or another node's) holds it.
        guard let binding = try Self.binding(replica, in: connection) else {
            preconditionFailure("replica binding vanished after it was stored")
        }
        return binding
    }

    public func replicaBinding(_ replica: ReplicaID) throws -> ReplicaBinding? {
        try Self.binding(replica, in: connection)
    }

    static func binding(_ replica: ReplicaID, in db: PostgresConnection) throws -> ReplicaBinding? {
        try db.execute("SELECT replica, device, user_name, bound_at FROM replica WHERE replica = $1", [.replica(replica)]).allRows.first.map {
            ReplicaBinding(replica: try $0.replicaID(0), device: try $0.string(1), user: try $0.string(2), boundAt: try $0.date(3))
        }
    }

    // MARK: Quarantine

    @discardableResult
    public func insertQuarantine(_ entry: QuarantineEntry) throws -> Int64 {
        try Self.insertQuarantine(entry, in: connection)
    }

    @discardableResult
    static func insertQuarantine(_ entry: QuarantineEntry, in db: PostgresConnection) throws -> Int64 {
        try db.execute(
            """
            INSERT INTO quarantine(deal_id, document, replica, change_seq, blob, sender_user, sender_device, reason, quarantined_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
            """,
            [
                .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica), .bits(entry.changeSequence),
                .bytes(entry.blob), .text(entry.senderUser), .text(entry.senderDevice), .text(entry.reason),
                .milliseconds(entry.quarantinedAt),
            ])[0].int64(0)
    }

    public func quarantine(limit: Int) throws -> [QuarantineRecord] {
        guard limit > 0 else { return [] }
        return try connection.execute(
            """
            SELECT id, deal_id, document, replica, change_seq, blob, sender_user, sender_device, reason, quarantined_at
            FROM quarantine ORDER BY id DESC LIMIT $1
            """, [.int(Int64(limit))]
        ).allRows.map { row in
            let entry = QuarantineEntry(
                deal: try row.dealID(1), document: try row.decoded(DealDocumentKind.self, 2), replica: try row.replicaID(3),
                changeSequence: try row.bits(4), blob: try row.bytes(5), senderUser: try row.string(6), senderDevice: try row.string(7),
                reason: try row.string(8), quarantinedAt: try row.date(9))
            return QuarantineRecord(id: try row.int64(0), entry: entry)
        }
    }

    // MARK: Idempotency keys

    public func idempotentResponse(for key: IdempotencyKey) throws -> StoredResponse? {
        try connection.execute(
            "SELECT status, body, request_digest FROM idempotency_key WHERE dealership = $1 AND user_name = $2 AND key = $3",
            [.text(key.dealership), .text(key.user), .text(key.key)]
        ).allRows.first.map { row in
            let digest: [UInt8]? = row.isNull(2) ? nil : try row.bytes(2)
            return StoredResponse(status: Int(try row.int64(0)), body: try row.bytes(1), requestDigest: digest)
        }
    }

    public func storeIdempotentResponse(_ response: StoredResponse, for key: IdempotencyKey, at date: Date) throws {
        try connection.execute(
            """
            INSERT INTO idempotency_key(dealership, user_name, key, request_digest, status, body, stored_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (dealership, user_name, key) DO NOTHING
            """,
            [.text(key.dealership), .text(key.user), .text(key.key), response.requestDigest.map { .bytes($0) } ?? .null,
             .int(Int64(response.status)), .bytes(response.body), .milliseconds(date)])
    }

    // MARK: Upstream

    public func upstreamPosition(upstream: String) throws -> UpstreamPosition? {
        try connection.execute(
            "SELECT pushed_through, cursor, snapshots_after, bootstrap_cursor FROM upstream_position WHERE upstream = $1",
            [.text(upstream)]
        ).allRows.first.map { row in
            var position = UpstreamPosition(pushedThrough: try row.position(0), cursor: try row.position(1))
            if !row.isNull(2) {
                position.firstSyncPage = SyncRound.FirstSyncPage(after: try row.dealID(2), cursor: try row.position(3))
            }
            return position
        }
    }

    public func saveUpstreamPosition(_ position: UpstreamPosition, upstream: String) throws {
        try connection.execute(
            """
            INSERT INTO upstream_position(upstream, pushed_through, cursor, snapshots_after, bootstrap_cursor)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (upstream) DO UPDATE SET pushed_through = excluded.pushed_through, cursor = excluded.cursor,
                snapshots_after = excluded.snapshots_after, bootstrap_cursor = excluded.bootstrap_cursor
            """,
            [
                .text(upstream), .position(position.pushedThrough), .position(position.cursor),
                .optionalText(position.firstSyncPage?.after.rawValue), position.firstSyncPage.map { .position($0.cursor) } ?? .null,
            ])
    }
}

// MARK: Column conversions

extension PostgresValue {
    static func milliseconds(_ date: Date) -> PostgresValue { .int(date.storedMilliseconds) }
    static func optionalText(_ text: String?) -> PostgresValue { text.map { .text($0) } ?? .null }
    /// A `UInt64` stored as the `bigint` with the same bits.
    static func bits(_ value: UInt64) -> PostgresValue { .int(Int64(bitPattern: value)) }
    static func deal(_ id: DealID) -> PostgresValue { .text(id.rawValue) }
    static func replica(_ id: ReplicaID) -> PostgresValue { bits(id.rawValue) }
    static func position(_ position: LogPosition) -> PostgresValue { .int(position.rawValue) }
}

extension PostgresResult.Row {
    func date(_ column: Int) throws -> Date { Date(storedMilliseconds: try int64(column)) }
    func optionalString(_ column: Int) throws -> String? { isNull(column) ? nil : try string(column) }
    func bits(_ column: Int) throws -> UInt64 { UInt64(bitPattern: try int64(column)) }
    func replicaID(_ column: Int) throws -> ReplicaID { ReplicaID(try bits(column)) }
    func position(_ column: Int) throws -> LogPosition { LogPosition(try int64(column)) }
    func optionalPosition(_ column: Int) throws -> LogPosition? { isNull(column) ? nil : try position(column) }

    func dealID(_ column: Int) throws -> DealID {
        let text = try string(column)
        guard let id = DealID(text) else { throw RelayStorageError.unreadableValue(column: columns[column], value: text) }
        return id
    }

    func decoded<Value: RawRepresentable>(_ type: Value.Type, _ column: Int) throws -> Value where Value.RawValue == String {
        let text = try string(column)
        guard let value = Value(rawValue: text) else { throw RelayStorageError.unreadableValue(column: columns[column], value: text) }
        return value
    }
}

/// The parameters of one statement as it is written: `arguments(value)` adds a value and
/// returns its placeholder (`$1`, `$2`, …), so that a statement built piece by piece numbers
/// them right.
struct PostgresArguments {
    private(set) var values: [PostgresValue] = []

    mutating func callAsFunction(_ value: PostgresValue) -> String {
        values.append(value)
        return "$\(values.count)"
    }
}
#endif
