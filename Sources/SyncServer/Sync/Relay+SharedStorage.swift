import DealCardKit
import Foundation
import SyncProtocol

/// What a relay node over a shared storage (``RelayStorage/isShared``) knows of the log that
/// other nodes append to.
struct SharedLogState {
    /// The log position up to which every entry is reflected in this node's memory: the
    /// documents it holds have every change up to it (or were loaded later). Nil until the
    /// node first looks.
    var knownHead: LogPosition?
    /// Positions this node appended after ``knownHead``: not another node's news.
    var ownPositions: Set<LogPosition> = []
}

extension Relay {
    /// Brings this node's memory in line with what other nodes appended since it last looked:
    /// the documents they changed are let go (the next use loads them from the log) and the
    /// long-polls that may read those changes are woken. Does nothing for a storage only this
    /// relay writes.
    ///
    /// Called before a request trusts the documents in memory (every sync request and
    /// integration write, through ``noticeCompaction()``) and when the database says another
    /// node committed (`PostgresLogListener`). A stale document therefore never decides a
    /// push: a change a device pushes here after another node acknowledged a change it builds
    /// on finds that change here.
    ///
    /// - Returns: the documents other nodes changed.
    @discardableResult
    public func noticeOtherNodes() throws -> Int {
        guard !isClosed, storage.isShared else { return 0 }
        guard let known = sync.sharedLog.knownHead else {
            // First look: memory is empty, so it reflects the log as it is now.
            sync.sharedLog.knownHead = try storage.latestPosition
            return 0
        }
        let (changed, head) = try storage.documentsChanged(after: known)
        guard head > known else { return 0 }
        var foreign: Set<RelaySyncState.DocumentKey> = []
        for entry in changed where !sync.sharedLog.ownPositions.contains(entry.position) {
            foreign.insert(RelaySyncState.DocumentKey(dealership: entry.dealership, deal: entry.deal, document: entry.document))
        }
        if !foreign.isEmpty {
            // Pushes waiting for their group commit are in the documents about to be let go:
            // commit them first, so a later decision does not miss them.
            if !sync.groupCommit.waiting.isEmpty { flushGroupCommit() }
            for key in foreign { sync.cache.remove(key) }
        }
        sync.sharedLog.ownPositions = sync.sharedLog.ownPositions.filter { $0 > head }
        sync.sharedLog.knownHead = head
        if !foreign.isEmpty {
            metrics.otherNodeDocuments.increment(by: Double(foreign.count))
            announce(foreign)
        }
        return foreign.count
    }

    /// Records the positions this node's commit appended, so that ``noticeOtherNodes()`` does
    /// not take them for another node's.
    func rememberOwnAppends(_ records: some Sequence<LogRecord>) {
        guard storage.isShared, let known = sync.sharedLog.knownHead else { return }
        for record in records where record.position > known { sync.sharedLog.ownPositions.insert(record.position) }
    }

    /// The position a push decided now is based on (``PushCommit/basedOn``): nil for a storage
    /// only this relay writes.
    var pushBase: LogPosition? {
        storage.isShared ? sync.sharedLog.knownHead ?? .start : nil
    }
}

/// Where a relay keeps its data: the embedded SQLite store in a data folder (the default), or
/// a shared PostgreSQL database that several relay nodes serve at once (`--postgres URL`).
public enum RelayStore: Sendable, Hashable, CustomStringConvertible {
    case sqlite(directory: String)
    /// A libpq connection string or `postgresql://` URL.
    case postgres(String)

    /// `--postgres URL` when given, else the data folder.
    public init(dataDirectory: String, postgres: String?) {
        self = postgres.map { .postgres($0) } ?? .sqlite(directory: dataDirectory)
    }

    /// Opens the store.
    ///
    /// - Parameters:
    ///   - create: create a missing SQLite store (a PostgreSQL database must exist; its
    ///     tables are created when missing).
    ///   - exclusive: hold the SQLite folder's lock, as a serving relay does.
    /// - Throws: ``RelayStorageError/postgresNotBuilt`` for `.postgres` in a build without the
    ///   `PostgreSQL` trait; the storage's own errors.
    public func open(create: Bool = true, exclusive: Bool = true) throws -> any RelayStorage {
        switch self {
        case .sqlite(let directory):
            return try SQLiteRelayStorage(directory: directory, create: create, exclusive: exclusive)
        case .postgres(let url):
#if PostgreSQL
            return try PostgresRelayStorage(url)
#else
            _ = url
            throw RelayStorageError.postgresNotBuilt
#endif
        }
    }

    /// The store for logs and messages, without a password.
    public var description: String {
        switch self {
        case .sqlite(let directory): "sqlite:\(directory)"
        case .postgres(let url): "postgres:\(RelayStore.withoutPassword(url))"
        }
    }

    /// `url` with the password of a `postgresql://user:password@host` URL or a
    /// `password=` keyword masked.
    static func withoutPassword(_ url: String) -> String {
        var text = url
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@"),
           let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
            text.replaceSubrange(text.index(after: colon)..<at, with: "***")
        }
        if let keyword = text.range(of: "password=") {
            let end = text[keyword.upperBound...].firstIndex(of: " ") ?? text.endIndex
            text.replaceSubrange(keyword.upperBound..<end, with: "***")
        }
        return text
    }
}
