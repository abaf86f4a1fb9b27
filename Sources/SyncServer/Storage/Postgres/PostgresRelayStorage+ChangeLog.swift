#if PostgreSQL
import CRDT
import DealCardKit
import Foundation
import PostgresKit
import SyncProtocol

extension PostgresRelayStorage {
    static let logColumns = """
        position, dealership, deal_id, document, replica, change_seq, blob, author_user, author_role, author_device, \
        author_channel, received_at
        """

    public func appendChanges(_ entries: [NewLogEntry], analytics: [DealAnalyticsRow]) throws -> [LogRecord] {
        guard !entries.isEmpty || !analytics.isEmpty else { return [] }
        return try connection.transaction { db in
            let records = try Self.append(entries, in: db)
            try Self.saveAnalytics(analytics, appended: records, in: db)
            return records
        }
    }

    public func commitPush(_ commit: PushCommit) throws -> [LogRecord] {
        guard !commit.isEmpty else { return [] }
        return try connection.transaction { db in try Self.commit(commit, in: db) }
    }

    /// Commits several pushes in one transaction, each inside a savepoint of its own: a push
    /// the storage refuses is rolled back alone and its neighbours are stored. When the
    /// transaction itself fails (the connection lost, the `COMMIT` refused), it throws and
    /// nothing is stored.
    public func commitPushes(_ commits: [PushCommit]) throws -> [Result<[LogRecord], RelayCommitError>] {
        guard commits.contains(where: { !$0.isEmpty }) else { return commits.map { _ in .success([]) } }
        return try connection.transaction { db in
            var results: [Result<[LogRecord], RelayCommitError>] = []
            results.reserveCapacity(commits.count)
            // Positions this transaction appended so far: an earlier push of the group is in
            // the memory the later ones were decided in, so it is not another node's news.
            var appended: Set<LogPosition> = []
            for commit in commits {
                guard !commit.isEmpty else {
                    results.append(.success([]))
                    continue
                }
                try db.execute("SAVEPOINT push")
                do {
                    let records = try Self.commit(commit, in: db, appendedBefore: appended)
                    try db.execute("RELEASE SAVEPOINT push")
                    appended.formUnion(records.map(\.position))
                    results.append(.success(records))
                } catch let error as PostgresError where error.kind == .connection {
                    throw error
                } catch {
                    // A refusal (ours or a constraint's): this push alone is undone. When the
                    // rollback itself fails, the transaction is lost and so is every push.
                    try db.execute("ROLLBACK TO SAVEPOINT push")
                    results.append(.failure(RelayCommitError(error)))
                }
            }
            // A push decided after a failed one may have computed its deals' analytics rows
            // with the failed push's changes in them: those deals' rows are computed again.
            var failed: Set<DealKey> = []
            for (commit, result) in zip(commits, results) {
                guard case .failure = result else { continue }
                for entry in commit.entries { failed.insert(DealKey(dealership: entry.dealership, deal: entry.deal)) }
            }
            try Self.markAnalyticsStale(failed.sorted().map { ($0.dealership, $0.deal) }, existingOnly: true, in: db)
            return results
        }
    }

    /// Stores one push inside the caller's transaction; see ``RelayStorage/commitPush(_:)``.
    static func commit(_ commit: PushCommit, in db: PostgresConnection, appendedBefore: Set<LogPosition> = []) throws -> [LogRecord] {
        for binding in commit.bindings {
            try db.execute(
                "INSERT INTO replica(replica, device, user_name, bound_at) VALUES ($1, $2, $3, $4) ON CONFLICT (replica) DO NOTHING",
                [.replica(binding.replica), .text(binding.device), .text(binding.user), .milliseconds(binding.boundAt)])
            // Bound meanwhile (another node): fine when to the same user and device.
            guard let stored = try Self.binding(binding.replica, in: db), stored.allows(user: binding.user, device: binding.device) else {
                throw RelayStorageError.conflictingBinding(replica: binding.replica)
            }
        }
        for deal in commit.deals { try Self.insertDeal(deal, in: db) }
        for entry in commit.quarantine { try Self.insertQuarantine(entry, in: db) }
        let records = try Self.append(commit.entries, in: db)
        let foreign = try Self.foreignDocuments(of: commit, own: appendedBefore.union(records.map(\.position)), in: db)
        // A row or a snapshot computed by a node that had not seen another node's change of
        // the same deal would lack it: those are left stale, to be computed from the log.
        let analytics = commit.analytics.filter { !foreign.deals.contains(DealKey(dealership: $0.dealership, deal: $0.deal)) }
        try Self.saveAnalytics(analytics, appended: records, in: db)
        let snapshots = commit.snapshots.filter { !foreign.documents.contains([$0.dealership, $0.deal.rawValue, $0.document.rawValue]) }
        if !snapshots.isEmpty {
            try Self.storeSnapshots(snapshots, covering: try Self.latestPosition(in: db), in: db)
        }
        return records
    }

    /// The deals and documents of `commit` that hold an entry after ``PushCommit/basedOn``
    /// which the commit did not append: another node's change, which the memory the commit's
    /// rows and snapshots were computed from did not hold. None when the commit names no base.
    private static func foreignDocuments(of commit: PushCommit, own: Set<LogPosition>, in db: PostgresConnection) throws
        -> (deals: Set<DealKey>, documents: Set<[String]>) {
        guard let base = commit.basedOn, !commit.snapshots.isEmpty || !commit.analytics.isEmpty else { return ([], []) }
        var deals: Set<DealKey> = []
        var documents: Set<[String]> = []
        var asked: Set<DealKey> = []
        for key in commit.analytics.map({ DealKey(dealership: $0.dealership, deal: $0.deal) })
            + commit.snapshots.map({ DealKey(dealership: $0.dealership, deal: $0.deal) }) where asked.insert(key).inserted {
            let rows = try db.execute(
                "SELECT position, document FROM change_log WHERE dealership = $1 AND deal_id = $2 AND position > $3",
                [.text(key.dealership), .deal(key.deal), .position(base)])
            for row in rows.allRows where !own.contains(try row.position(0)) {
                deals.insert(key)
                documents.insert([key.dealership, key.deal.rawValue, try row.string(1)])
            }
        }
        return (deals, documents)
    }

    /// Appends `entries` inside the caller's transaction, under the lock of `log_head`, and
    /// marks the stored snapshots of their documents stale.
    static func append(_ entries: [NewLogEntry], in db: PostgresConnection) throws -> [LogRecord] {
        guard !entries.isEmpty else { return [] }
        // The lock that serializes appends across nodes (see the type's documentation).
        var head = try db.execute("SELECT position FROM log_head WHERE id = 1 FOR UPDATE")[0].int64(0)
        var lastSequence: [[String]: UInt64] = [:]
        var registeredDeals: Set<[String]> = []
        var markedStale: Set<[String]> = []
        var records: [LogRecord] = []
        records.reserveCapacity(entries.count)
        for entry in entries {
            let identity: [PostgresValue] = [
                .text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica), .bits(entry.changeSequence),
            ]
            // One round trip: whether the deal is registered, whether this change is logged
            // already, and the author's last seq in the log and in the compacted horizon.
            let facts = try db.execute(
                """
                SELECT EXISTS (SELECT 1 FROM deal WHERE dealership = $1 AND id = $2),
                       (SELECT position FROM change_log WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND replica = $4
                            AND change_seq = $5),
                       (SELECT max(change_seq) FROM change_log WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND replica = $4),
                       (SELECT change_seq FROM document_horizon WHERE dealership = $1 AND deal_id = $2 AND document = $3 AND replica = $4)
                """, identity)[0]
            let dealKey = [entry.dealership, entry.deal.rawValue]
            if !registeredDeals.contains(dealKey) {
                guard try facts.bool(0) else { throw RelayStorageError.unknownDeal(id: entry.deal) }
                registeredDeals.insert(dealKey)
            }
            if !facts.isNull(1) {
                // Already logged (a retried push, or a duplicate inside this batch): the first
                // copy stands, and must be the same bytes.
                let stored = try db.execute("SELECT \(logColumns) FROM change_log WHERE position = $1", [.int(try facts.int64(1))])
                records.append(try LogAppendRules.retried(try logRecord(stored[0]), as: entry))
                continue
            }
            let key = LogAppendRules.authorKey(entry)
            var last: UInt64
            if let known = lastSequence[key] {
                last = known
            } else {
                last = facts.isNull(2) ? 0 : try facts.bits(2)
                if !facts.isNull(3) { last = max(last, try facts.bits(3)) }
            }
            try LogAppendRules.checkNext(entry, after: last)
            lastSequence[key] = entry.changeSequence
            head += 1
            try db.execute(
                "INSERT INTO change_log(\(logColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                [.int(head)] + identity + [
                    .bytes(entry.blob), .text(entry.author.user), .text(entry.author.role.rawValue), .text(entry.author.device),
                    .text(entry.author.channel.rawValue), .milliseconds(entry.receivedAt),
                ])
            let document = [entry.dealership, entry.deal.rawValue, entry.document.rawValue]
            if markedStale.insert(document).inserted {
                try db.execute(
                    """
                    UPDATE document_snapshot SET stale_from = coalesce(stale_from, $1)
                    WHERE dealership = $2 AND deal_id = $3 AND document = $4
                    """, [.int(head)] + identity.prefix(3))
            }
            var stored = entry
            stored.receivedAt = entry.receivedAt.roundedToStoredPrecision
            records.append(LogRecord(position: LogPosition(head), entry: stored))
        }
        try db.execute("UPDATE log_head SET position = $1 WHERE id = 1", [.int(head)])
        // Delivered when the transaction commits, to every node listening.
        try db.notify(channel, String(head))
        return records
    }

    public func changes(
        after cursor: LogPosition, dealership: String?, dealIDs: Set<DealID>?, documents: Set<DealDocumentKind>, limit: Int, maxBytes: Int
    ) throws -> [LogRecord] {
        guard limit > 0, !documents.isEmpty, dealIDs?.isEmpty != true else { return [] }
        var arguments = PostgresArguments()
        var sql = """
            SELECT \(Self.logColumns) FROM change_log c WHERE position > \(arguments(.position(cursor)))
            AND NOT EXISTS (SELECT 1 FROM unloadable_change u WHERE u.position = c.position)
            """
        if let dealership { sql += " AND dealership = \(arguments(.text(dealership)))" }
        if let dealIDs { sql += " AND deal_id = ANY (\(arguments(.text(Self.textArray(dealIDs.sorted().map(\.rawValue)))))::text[])" }
        if documents.count < DealDocumentKind.allCases.count {
            sql += " AND document = ANY (\(arguments(.text(Self.textArray(documents.map(\.rawValue).sorted()))))::text[])"
        }
        // Rows are read in slices, so that `maxBytes` stops the reading, not only the answer;
        // $1 is the cursor, moved on to the last row read by each slice.
        let prefix = arguments.values
        let sliceSQL = sql + " ORDER BY position LIMIT $\(prefix.count + 1)"
        var records: [LogRecord] = []
        var bytes = 0
        var after = cursor
        var full = false
        while records.count < limit, !full {
            let slice = min(256, limit - records.count)
            var values = prefix
            values[0] = .position(after)
            let rows = try connection.execute(sliceSQL, values + [.int(Int64(slice))]).allRows
            for row in rows {
                let record = try Self.logRecord(row)
                records.append(record)
                bytes += record.entry.blob.count
                after = record.position
                if bytes >= maxBytes {
                    full = true
                    break
                }
            }
            if rows.count < slice { break }
        }
        return records
    }

    public func changes(dealership: String, deal: DealID, document: DealDocumentKind) throws -> [LogRecord] {
        try connection.execute(
            """
            SELECT \(Self.logColumns) FROM change_log c WHERE dealership = $1 AND deal_id = $2 AND document = $3
            AND NOT EXISTS (SELECT 1 FROM unloadable_change u WHERE u.position = c.position) ORDER BY position
            """, [.text(dealership), .deal(deal), .text(document.rawValue)]
        ).allRows.map(Self.logRecord)
    }

    public var latestPosition: LogPosition {
        get throws { try Self.latestPosition(in: connection) }
    }

    /// The head of the log: the highest position ever given, even when its entry is gone.
    static func latestPosition(in db: PostgresConnection) throws -> LogPosition {
        LogPosition(try db.execute("SELECT position FROM log_head WHERE id = 1")[0].int64(0))
    }

    public func markUnloadable(_ record: LogRecord, reason: String, at date: Date) throws {
        try connection.transaction { db in
            let inserted = try db.execute(
                "INSERT INTO unloadable_change(position, reason, found_at) VALUES ($1, $2, $3) ON CONFLICT (position) DO NOTHING",
                [.position(record.position), .text(reason), .milliseconds(date)])
            guard inserted.affectedRows > 0 else { return }
            let entry = record.entry
            // A stored snapshot never holds an entry set aside: build it again without.
            try db.execute("UPDATE document_snapshot SET blob = NULL WHERE dealership = $1 AND deal_id = $2 AND document = $3",
                           [.text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue)])
            try Self.insertQuarantine(
                QuarantineEntry(deal: entry.deal, document: entry.document, replica: entry.replica, changeSequence: entry.changeSequence,
                                blob: entry.blob, senderUser: entry.author.user, senderDevice: entry.author.device,
                                reason: "unloadable: log entry \(record.position) \(reason)", quarantinedAt: date), in: db)
            try Self.markAnalyticsStale([(entry.dealership, entry.deal)], in: db)
        }
    }

    public func unloadablePositions() throws -> [LogPosition] {
        try connection.execute("SELECT position FROM unloadable_change ORDER BY position").allRows.map { try $0.position(0) }
    }

    public func documentsChanged(after cursor: LogPosition) throws -> (entries: [ChangedDocument], head: LogPosition) {
        // One statement, so the head and the entries are of one committed state.
        let rows = try connection.execute(
            """
            SELECT h.position, c.position, c.dealership, c.deal_id, c.document FROM log_head h
            LEFT JOIN change_log c ON c.position > $1 AND c.position <= h.position
            WHERE h.id = 1 ORDER BY c.position
            """, [.position(cursor)]).allRows
        guard let first = rows.first else { return ([], cursor) }
        let entries = try rows.filter { !$0.isNull(1) }.map { row in
            ChangedDocument(position: try row.position(1), dealership: try row.string(2), deal: try row.dealID(3),
                            document: try row.decoded(DealDocumentKind.self, 4))
        }
        return (entries, try first.position(0))
    }

    static func logRecord(_ row: PostgresResult.Row) throws -> LogRecord {
        let author = LogAuthor(user: try row.string(7), role: try row.decoded(Role.self, 8), device: try row.string(9),
                               channel: try row.decoded(Channel.self, 10))
        let entry = NewLogEntry(
            dealership: try row.string(1), deal: try row.dealID(2), document: try row.decoded(DealDocumentKind.self, 3),
            replica: try row.replicaID(4), changeSequence: try row.bits(5), blob: try row.bytes(6), author: author,
            receivedAt: try row.date(11))
        return LogRecord(position: try row.position(0), entry: entry)
    }

    /// `values` as a PostgreSQL array literal of text (`{"a","b"}`), each element quoted.
    static func textArray(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
#endif
