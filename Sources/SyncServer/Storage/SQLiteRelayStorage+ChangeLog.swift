import SyncProtocol
import Foundation
import CanonicalJSON
import DealCardKit
import SQLiteKit

extension SQLiteRelayStorage {
    static let logColumns = """
        position, deal_id, document, replica, change_seq, blob, author_user, author_role, author_device, \
        author_channel, received_at, dealership
        """

    public func commitPush(_ commit: PushCommit) throws -> [LogRecord] {
        guard !commit.isEmpty else { return [] }
        return try database.transaction { db in try Self.commit(commit, in: db) }
    }

    /// Commits several pushes in one transaction (one fsync), each inside a savepoint of its
    /// own: a push the storage refuses (``RelayStorageError/conflictingChange(deal:replica:changeSequence:)``,
    /// a binding taken meanwhile, …) is rolled back alone and its neighbours are stored. When
    /// the transaction itself fails (its `COMMIT`, a full disk), it throws and nothing is stored.
    ///
    /// - Returns: one result per push, in order.
    public func commitPushes(_ commits: [PushCommit]) throws -> [Result<[LogRecord], RelayCommitError>] {
        guard commits.contains(where: { !$0.isEmpty }) else { return commits.map { _ in .success([]) } }
        return try database.transaction { db in
            var results: [Result<[LogRecord], RelayCommitError>] = []
            results.reserveCapacity(commits.count)
            for (index, commit) in commits.enumerated() {
                guard !commit.isEmpty else {
                    results.append(.success([]))
                    continue
                }
                do {
                    results.append(.success(try db.savepoint("push_\(index)") { db in try Self.commit(commit, in: db) }))
                } catch {
                    // SQLite rolled the whole transaction back (it may on a full disk): every
                    // push of the group fails with this error, nothing is stored.
                    guard db.isInTransaction else { throw error }
                    results.append(.failure(RelayCommitError(error)))
                }
            }
            // A push decided after a failed one may have computed its deals' analytics rows
            // with the failed push's changes in them: those deals' rows are computed again.
            // (Only rows that exist: a deal the failed push would have created is not stored.)
            var failedDeals: Set<DealKey> = []
            for (commit, result) in zip(commits, results) {
                guard case .failure = result else { continue }
                for entry in commit.entries { failedDeals.insert(DealKey(dealership: entry.dealership, deal: entry.deal)) }
            }
            try Self.markAnalyticsStale(failedDeals.sorted().map { ($0.dealership, $0.deal) }, existingOnly: true, in: db)
            return results
        }
    }

    /// Stores one push's bindings, deals, quarantine entries, log entries, analytics rows and
    /// snapshots inside the caller's transaction.
    static func commit(_ commit: PushCommit, in db: SQLiteDatabase) throws -> [LogRecord] {
        for binding in commit.bindings {
            try db.execute(
                "INSERT INTO replica(replica, device, user_name, bound_at) VALUES (?, ?, ?, ?) ON CONFLICT(replica) DO NOTHING",
                arguments: [.replica(binding.replica), .text(binding.device), .text(binding.user), .milliseconds(binding.boundAt)])
            // Bound meanwhile (another relay node): fine when to the same user and device.
            guard let stored = try Self.binding(binding.replica, in: db), stored.allows(user: binding.user, device: binding.device) else {
                throw RelayStorageError.conflictingBinding(replica: binding.replica)
            }
        }
        for deal in commit.deals { try Self.insertDeal(deal, in: db) }
        for entry in commit.quarantine { try Self.insertQuarantine(entry, in: db) }
        let records = try Self.append(commit.entries, in: db)
        try Self.saveAnalytics(commit.analytics, appended: records, in: db)
        if !commit.snapshots.isEmpty {
            // Each holds every change the log now has of its document (PushCommit.snapshots).
            try Self.storeSnapshots(commit.snapshots, covering: try Self.latestPosition(in: db), in: db)
        }
        return records
    }

    /// Appends `entries` inside the caller's transaction and marks the stored snapshots of
    /// their documents stale; see ``appendChanges(_:analytics:)`` (the caller then stores the
    /// analytics rows of their deals: ``saveAnalytics(_:appended:in:)``).
    static func append(_ entries: [NewLogEntry], in db: SQLiteDatabase) throws -> [LogRecord] {
        var registeredDeals: Set<[String]> = []
        /// Per (dealership, deal, document, replica): the last change sequence in the log so far.
        var lastSequence: [[String]: UInt64] = [:]
        var records: [LogRecord] = []
        records.reserveCapacity(entries.count)
        /// Documents whose stored snapshot this call has marked stale already.
        var markedStale: Set<[String]> = []
        for entry in entries {
            if !registeredDeals.contains([entry.dealership, entry.deal.rawValue]) {
                guard try db.scalar("SELECT 1 FROM deal WHERE dealership = ? AND id = ?", [.text(entry.dealership), .deal(entry.deal)]) != nil else {
                    throw RelayStorageError.unknownDeal(id: entry.deal)
                }
                registeredDeals.insert([entry.dealership, entry.deal.rawValue])
            }
            // Look before inserting: an ignored INSERT would still use up a sequence number.
            let existing = try db.query(
                """
                SELECT \(Self.logColumns) FROM change_log
                WHERE dealership = ? AND deal_id = ? AND document = ? AND replica = ? AND change_seq = ?
                """,
                [.text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica), .bits(entry.changeSequence)]
            ) { try Self.logRecord($0) }
            if let record = existing.first {
                // Already logged (a retried push, or a duplicate inside this batch): the first
                // copy stands, and must be the same bytes.
                records.append(try LogAppendRules.retried(record, as: entry))
                continue
            }
            // The author's next change in this document, whatever the caller's memory says.
            let key = LogAppendRules.authorKey(entry)
            let last: UInt64
            if let known = lastSequence[key] {
                last = known
            } else {
                let stored = try db.scalar(
                    "SELECT max(change_seq) FROM change_log WHERE dealership = ? AND deal_id = ? AND document = ? AND replica = ?",
                    [.text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica)])
                // A compacted document's earlier rows are gone: its horizon says how far they went.
                let compacted = try db.scalar(
                    "SELECT change_seq FROM document_horizon WHERE dealership = ? AND deal_id = ? AND document = ? AND replica = ?",
                    [.text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica)])
                last = max(stored?.int64.map { UInt64(bitPattern: $0) } ?? 0, compacted?.int64.map { UInt64(bitPattern: $0) } ?? 0)
            }
            try LogAppendRules.checkNext(entry, after: last)
            lastSequence[key] = entry.changeSequence
            try db.execute(
                "INSERT INTO change_log(\(Self.logColumns)) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica),
                    .bits(entry.changeSequence), .blob(entry.blob), .text(entry.author.user),
                    .text(entry.author.role.rawValue), .text(entry.author.device),
                    .text(entry.author.channel.rawValue), .milliseconds(entry.receivedAt), .text(entry.dealership),
                ])
            let position = LogPosition(db.lastInsertRowID)
            // Here, where every append passes, so no path can change a document and leave its
            // stored snapshot looking current (the first change it lacks is the one that counts).
            let document = [entry.dealership, entry.deal.rawValue, entry.document.rawValue]
            if markedStale.insert(document).inserted {
                try db.execute(
                    """
                    UPDATE document_snapshot SET stale_from = coalesce(stale_from, ?)
                    WHERE dealership = ? AND deal_id = ? AND document = ?
                    """, arguments: [.position(position), .text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue)])
            }
            var stored = entry
            stored.receivedAt = entry.receivedAt.roundedToStoredPrecision
            records.append(LogRecord(position: position, entry: stored))
        }
        return records
    }

    /// - Complexity: with a deal filter, the ids are passed as one JSON array parameter
    ///   (`json_each`), so any number of deals costs one statement.
    public func changes(
        after cursor: LogPosition, dealership: String?, dealIDs: Set<DealID>?, documents: Set<DealDocumentKind>, limit: Int, maxBytes: Int
    ) throws -> [LogRecord] {
        guard limit > 0, !documents.isEmpty, dealIDs?.isEmpty != true else { return [] }
        var sql = "SELECT \(Self.logColumns) FROM change_log WHERE position > ? AND position NOT IN (SELECT position FROM unloadable_change)"
        var arguments: [SQLiteValue] = [.integer(cursor.rawValue)]
        if let dealership {
            sql += " AND dealership = ?"
            arguments.append(.text(dealership))
        }
        if let dealIDs {
            sql += " AND deal_id IN (SELECT value FROM json_each(?))"
            arguments.append(.text(SchemaJSON.array(dealIDs.sorted().map { .string($0.rawValue) }).canonicalText))
        }
        if documents.count < DealDocumentKind.allCases.count {
            sql += " AND document IN (SELECT value FROM json_each(?))"
            arguments.append(.text(SchemaJSON.array(documents.map { .string($0.rawValue) }).canonicalText))
        }
        sql += " ORDER BY position LIMIT ?"
        arguments.append(.integer(Int64(limit)))
        var records: [LogRecord] = []
        var bytes = 0
        try database.forEachRow(sql, arguments) { row in
            let record = try Self.logRecord(row)
            records.append(record)
            bytes += record.entry.blob.count
            return bytes < maxBytes
        }
        return records
    }

    public func markUnloadable(_ record: LogRecord, reason: String, at date: Date) throws {
        try database.transaction { db in
            try db.execute("INSERT INTO unloadable_change(position, reason, found_at) VALUES (?, ?, ?) ON CONFLICT(position) DO NOTHING",
                           arguments: [.integer(record.position.rawValue), .text(reason), .milliseconds(date)])
            guard db.changes > 0 else { return }
            let entry = record.entry
            // A stored snapshot never holds an entry set aside: build it again without.
            try db.execute("UPDATE document_snapshot SET blob = NULL WHERE dealership = ? AND deal_id = ? AND document = ?",
                           arguments: [.text(entry.dealership), .deal(entry.deal), .text(entry.document.rawValue)])
            try db.execute(
                """
                INSERT INTO quarantine(deal_id, document, replica, change_seq, blob, sender_user, sender_device, reason, quarantined_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [
                    .deal(entry.deal), .text(entry.document.rawValue), .replica(entry.replica), .bits(entry.changeSequence),
                    .blob(entry.blob), .text(entry.author.user), .text(entry.author.device),
                    .text("unloadable: log entry \(record.position) \(reason)"), .milliseconds(date),
                ])
            // The deal's facts counted the entry: computed again without it.
            try Self.markAnalyticsStale([(entry.dealership, entry.deal)], in: db)
        }
    }

    public func unloadablePositions() throws -> [LogPosition] {
        try database.query("SELECT position FROM unloadable_change ORDER BY position") { LogPosition($0.int64(at: 0)) }
    }

    public func changes(dealership: String, deal: DealID, document: DealDocumentKind) throws -> [LogRecord] {
        try database.query(
            """
            SELECT \(Self.logColumns) FROM change_log
            WHERE dealership = ? AND deal_id = ? AND document = ? AND position NOT IN (SELECT position FROM unloadable_change) ORDER BY position
            """,
            [.text(dealership), .deal(deal), .text(document.rawValue)]
        ) { try Self.logRecord($0) }
    }

    public var latestPosition: LogPosition {
        get throws { try Self.latestPosition(in: database) }
    }

    /// See ``latestPosition``; inside the caller's transaction.
    static func latestPosition(in db: SQLiteDatabase) throws -> LogPosition {
        // sqlite_sequence remembers the highest position ever given, even if those rows are
        // gone (its column is SQLite's own, called seq).
        LogPosition(try db.scalar("SELECT seq FROM sqlite_sequence WHERE name = 'change_log'")?.int64 ?? 0)
    }

    private static func logRecord(_ row: Statement) throws -> LogRecord {
        let author = LogAuthor(
            user: row.string(at: 6), role: try row.decoded(Role.self, at: 7), device: row.string(at: 8),
            channel: try row.decoded(Channel.self, at: 9))
        let entry = NewLogEntry(
            dealership: row.string(at: 11), deal: try row.dealID(at: 1), document: try row.decoded(DealDocumentKind.self, at: 2),
            replica: row.replicaID(at: 3), changeSequence: row.bits(at: 4), blob: row.blob(at: 5), author: author,
            receivedAt: row.date(at: 10))
        return LogRecord(position: LogPosition(row.int64(at: 0)), entry: entry)
    }
}

extension SQLiteRelayStorage {
    public func documentsChanged(after cursor: LogPosition) throws -> (entries: [ChangedDocument], head: LogPosition) {
        try database.transaction(.deferred) { db in
            let head = try Self.latestPosition(in: db)
            let entries = try db.query(
                "SELECT position, dealership, deal_id, document FROM change_log WHERE position > ? AND position <= ? ORDER BY position",
                [.position(cursor), .position(head)]
            ) { row in
                ChangedDocument(position: row.position(at: 0), dealership: row.string(at: 1), deal: try row.dealID(at: 2),
                                document: try row.decoded(DealDocumentKind.self, at: 3))
            }
            return (entries, head)
        }
    }
}
