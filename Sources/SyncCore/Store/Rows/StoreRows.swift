import CRDT
import DealCardKit
import SQLiteKit

/// What the device store's row types share: how ids sit in columns, and how SQLite's
/// failures become ``StoreError``s.
///
/// Every SQL statement of the device store (but the migrations of ``StoreSchema``) lives in a
/// row type of this folder, one table each: ``SettingRow``, ``DealRow``, ``SnapshotRow``,
/// ``StoredChangeRow``, ``OutboxRow``, ``QuarantineRow``, ``CursorRow``, with
/// ``SnapshotFold`` folding a document's change rows into its snapshot. The domain methods of
/// ``DeviceStore`` decide what to write; the rows only know how.
enum StoreRows {
    /// Runs the statements of one row operation and turns what SQLite throws into a store error:
    /// a broken table rule (`SQLITE_CONSTRAINT_*`) into what `refusal` makes of it, anything else
    /// (a full disk, a lock, a damaged file) into ``StoreError/database(_:)`` with SQLite's own
    /// explanation and advice.
    static func run<Result>(_ refusal: (SQLiteError) -> StoreError, _ body: () throws -> Result) throws(StoreError) -> Result {
        do {
            return try body()
        } catch let error as SQLiteError where SQLiteError.constraint ~= error.code {
            throw refusal(error)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Runs a read; reads break no rule, so every failure is ``StoreError/database(_:)``
    /// (or the ``StoreError/corrupt(_:)`` that a row's decoding threw).
    static func read<Result>(_ body: () throws -> Result) throws(StoreError) -> Result {
        do {
            return try body()
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The refusal of a row that breaks a rule no caller should break: a bug, named as such.
    static func refused(_ row: String) -> (SQLiteError) -> StoreError {
        { error in
            .constraint("cannot store \(row): \(error.message). The row breaks a rule of the store's tables; "
                + "this is a bug in the code writing it, not damage to the file, and nothing of the call was kept")
        }
    }

    /// A deal id read from a column, or ``StoreError/corrupt(_:)`` naming the table.
    static func deal(_ text: String, in table: String) throws(StoreError) -> DealID {
        guard let deal = DealID(text) else { throw .corrupt("\(table) row with deal id \"\(text)\"") }
        return deal
    }

    /// A document document read from a column, or ``StoreError/corrupt(_:)`` naming the table.
    static func documentKind(_ text: String, in table: String) throws(StoreError) -> DealDocumentKind {
        guard let document = DealDocumentKind(rawValue: text) else { throw .corrupt("\(table) row with document kind \"\(text)\"") }
        return document
    }
}

extension SQLiteValue {
    /// A replica id as stored: the bit pattern of its 64 bits as SQLite's signed integer.
    static func replica(_ replica: ReplicaID) -> SQLiteValue { .integer(Int64(bitPattern: replica.rawValue)) }

    /// A change's sequence number as stored (seqs stay far below 2^63).
    static func seq(_ seq: UInt64) -> SQLiteValue { .integer(Int64(bitPattern: seq)) }
}

extension Statement {
    /// The change id in columns `replicaColumn` (bit pattern) and `replicaColumn + 1` (seq).
    func changeID(at replicaColumn: Int) -> ChangeID {
        ChangeID(replica: ReplicaID(UInt64(bitPattern: int64(at: replicaColumn))), seq: UInt64(bitPattern: int64(at: replicaColumn + 1)))
    }
}
