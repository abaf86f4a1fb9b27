import Foundation
import SQLiteKit

/// Reads first-sync pages off the relay's actor, through a connection of its own
/// (``RelayStorage/makeSnapshotReader()``), so that a first sync of a large dealership does
/// not hold every other request while its pages are read.
///
/// Thread-safe: one page is read at a time; others wait their turn.
public protocol SnapshotPageReader: Sendable {
    /// Reads, in one read transaction, ``RelayStorage/snapshotPage(_:)`` for `request`, and,
    /// when the page is the selection's last and `request.closedBefore` is set, how many deals
    /// the window left out (``RelayStorage/archivedDealCount(_:closedBefore:)``).
    ///
    /// The transaction sees a committed state of the store at least as new as any position
    /// the caller read before calling, so a snapshot it calls stored for `request.base` holds
    /// every change of its document up to it.
    ///
    /// - Throws: ``RelayStorageError/storeClosed`` after ``close()``; SQLite errors.
    func page(_ request: SnapshotPage.Request) throws -> (page: SnapshotPage, archivedDeals: Int?)
    /// Releases the connection; a later ``page(_:)`` throws.
    func close()
}

/// ``SnapshotPageReader`` over a second connection to `relay.sqlite`, `query_only`, in WAL mode
/// (as ``SQLiteAnalyticsReader``).
///
/// `@unchecked Sendable`: the connection is only touched under ``lock``.
final class SQLiteSnapshotPageReader: SnapshotPageReader, @unchecked Sendable {
    private let lock = NSLock()
    private var database: SQLiteDatabase?

    /// Opens the store at `path` (which the relay's storage has open and migrated).
    init(path: String) throws {
        database = try SQLiteRelayStorage.openReader(path: path)
    }

    func page(_ request: SnapshotPage.Request) throws -> (page: SnapshotPage, archivedDeals: Int?) {
        try lock.withLock {
            guard let database else { throw RelayStorageError.storeClosed }
            return try database.transaction(.deferred) { db in
                let page = try SQLiteRelayStorage.snapshotPage(request, in: db)
                guard !page.more, let closedBefore = request.closedBefore else { return (page, nil) }
                return (page, try SQLiteRelayStorage.archivedDealCount(request.deals, closedBefore: closedBefore, in: db))
            }
        }
    }

    func close() {
        lock.withLock {
            database?.close()
            database = nil
        }
    }
}

extension SQLiteRelayStorage {
    /// A second connection to the store at `path` (open and migrated by the relay's storage),
    /// for reading off the relay's actor: `query_only`, and in WAL mode its read transactions
    /// each see one committed state while the relay's own connection goes on writing. Not
    /// memory-mapped: the pages a reader touched would count in the relay's resident memory.
    static func openReader(path: String) throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: path, options: .init(create: false, walJournal: false))
        do {
            try database.execute("PRAGMA query_only = ON")
        } catch {
            database.close()
            throw error
        }
        return database
    }
}
