import Foundation
import CRDT
import DealCardKit
import SQLiteKit

/// The embedded ``RelayStorage``: one SQLite file, `relay.sqlite`, in the relay's data folder.
///
/// Opened in WAL mode with `synchronous=FULL` (a commit survives power loss) and the folder's
/// ``SQLiteKit/StoreLock`` held for the storage's lifetime, so a second relay on the same folder
/// fails at once with ``SQLiteKit/SQLiteStoreError/locked(lockPath:holderPID:)`` instead of
/// sharing the file. The schema is brought up to date by ``migrator`` on open.
///
/// Not thread-safe: one owner, as ``RelayStorage`` says.
///
/// ```swift
/// let storage = try SQLiteRelayStorage(directory: "./sync-data")
/// try storage.insertToken(record)
/// storage.close()
/// ```
public final class SQLiteRelayStorage: RelayStorage {
    /// The database's file name inside the data folder.
    public static let fileName = "relay.sqlite"

    /// The data folder.
    public let directory: String
    /// The database file's path.
    public let path: String
    let database: SQLiteDatabase

    /// Opens the store in `directory`, migrating it to the current schema.
    ///
    /// - Parameters:
    ///   - create: create the folder and the database when missing. Without it, a missing
    ///     store throws ``RelayStorageError/storeNotFound(path:)``.
    ///   - exclusive: hold the folder's ``SQLiteKit/StoreLock`` while open, as a running relay
    ///     does. Short administrative commands (`token issue`, `token revoke`) pass `false`
    ///     so they work while the relay runs; SQLite's own locking keeps their writes safe.
    /// - Throws: ``SQLiteKit/SQLiteStoreError/locked(lockPath:holderPID:)`` when another relay
    ///   holds the folder; ``SQLiteKit/SQLiteStoreError/newerSchema(found:known:)`` for a store
    ///   written by a newer build; ``SQLiteKit/SQLiteError`` when the file cannot be opened.
    public init(directory: String, create: Bool = true, exclusive: Bool = true) throws {
        self.directory = directory
        path = (directory.hasSuffix("/") ? String(directory.dropLast()) : directory) + "/" + Self.fileName
        if create {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } else if !FileManager.default.fileExists(atPath: path) {
            throw RelayStorageError.storeNotFound(path: path)
        }
        database = try SQLiteDatabase(path: path, options: .init(create: create, exclusiveStoreLock: exclusive))
        do {
            try Self.migrator.migrate(database)
        } catch {
            database.close()
            throw error
        }
    }

    /// The schema version of the open store.
    public var schemaVersion: Int {
        get throws { try SQLiteMigrator.schemaVersion(of: database) }
    }

    public var storeSizeBytes: Int64 {
        get throws {
            let pages = try database.scalar("PRAGMA page_count")?.int64 ?? 0
            let pageSize = try database.scalar("PRAGMA page_size")?.int64 ?? 0
            return pages * pageSize
        }
    }

    public func close() {
        database.close()
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool {
        database.isClosed
    }
}

// MARK: Column conversions shared by the extensions

extension SQLiteValue {
    /// A date as integer milliseconds since 1970.
    static func milliseconds(_ date: Date) -> SQLiteValue {
        .integer(date.storedMilliseconds)
    }

    /// Text, or NULL for nil.
    static func optionalText(_ text: String?) -> SQLiteValue {
        text.map { .text($0) } ?? .null
    }

    /// A `UInt64` stored as the `Int64` with the same bits.
    static func bits(_ value: UInt64) -> SQLiteValue {
        .integer(Int64(bitPattern: value))
    }

    /// A deal id, as its text.
    static func deal(_ id: DealID) -> SQLiteValue { .text(id.rawValue) }

    /// A replica id, as the `Int64` with the same bits.
    static func replica(_ id: ReplicaID) -> SQLiteValue { bits(id.rawValue) }
}

extension Statement {
    /// Column `index` read as integer milliseconds since 1970.
    func date(at index: Int) -> Date {
        Date(storedMilliseconds: int64(at: index))
    }

    /// Column `index` as text, nil for NULL.
    func optionalString(at index: Int) -> String? {
        isNull(at: index) ? nil : string(at: index)
    }

    /// Column `index` as the `UInt64` whose bits were stored as an `Int64`.
    func bits(at index: Int) -> UInt64 {
        UInt64(bitPattern: int64(at: index))
    }

    /// Column `index` as a deal id, or ``RelayStorageError/unreadableValue(column:value:)``
    /// for text that is not one.
    func dealID(at index: Int) throws -> DealID {
        let text = string(at: index)
        guard let id = DealID(text) else { throw RelayStorageError.unreadableValue(column: columnName(at: index), value: text) }
        return id
    }

    /// Column `index` as the replica id whose bits were stored as an `Int64`.
    func replicaID(at index: Int) -> ReplicaID { ReplicaID(bits(at: index)) }

    /// Column `index` as a raw-value enum, or ``RelayStorageError/unreadableValue(column:value:)``.
    func decoded<Value: RawRepresentable>(_ type: Value.Type, at index: Int) throws -> Value
    where Value.RawValue == String {
        let text = string(at: index)
        guard let value = Value(rawValue: text) else {
            throw RelayStorageError.unreadableValue(column: columnName(at: index), value: text)
        }
        return value
    }
}

extension Date {
    /// The date as the store keeps it: whole milliseconds since 1970, rounded.
    var storedMilliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    /// The date that `milliseconds` since 1970 stand for.
    init(storedMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// This date as it reads back from the store.
    var roundedToStoredPrecision: Date {
        Date(storedMilliseconds: storedMilliseconds)
    }
}
