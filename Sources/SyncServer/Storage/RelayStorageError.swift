import SyncProtocol
import CRDT
import DealCardKit
/// Errors of the relay's storage that are about the data, not about SQLite.
///
/// Failures of the database itself (`busy`, `full`, I/O) stay ``SQLiteKit/SQLiteError``;
/// a second relay on the same folder gets ``SQLiteKit/SQLiteStoreError/locked(lockPath:holderPID:)``.
public enum RelayStorageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The data folder holds no relay store (a command that only reads was pointed at the
    /// wrong folder, or nothing was issued yet).
    case storeNotFound(path: String)
    /// No token has this public id.
    case unknownToken(id: String)
    /// A token with this public id or hash already exists (ids are random: retry with a new one).
    case duplicateToken(id: String)
    /// A deal with this id is already registered with different values.
    case conflictingDeal(id: DealID)
    /// A change names a deal that was never registered with ``RelayStorage/insertDeal(_:)``.
    case unknownDeal(id: DealID)
    /// Another change is stored under this change's id (a second writer, or memory out of
    /// step with the log): nothing of the request was stored.
    case conflictingChange(deal: DealID, replica: ReplicaID, changeSequence: UInt64)
    /// A change is not its replica's next one in the log: nothing of the request was stored.
    case notNextChange(deal: DealID, replica: ReplicaID, changeSequence: UInt64, expected: UInt64)
    /// A document would be compacted through an earlier position than it already is.
    case compactionBehind(deal: DealID, through: LogPosition, stored: LogPosition)
    /// A compacted document's stored base does not load: the store was damaged.
    case unreadableBase(deal: DealID, document: DealDocumentKind, reason: String)
    /// A document cannot be compacted now; `reason` says why. Nothing was changed.
    case compactionBlocked(deal: DealID, document: DealDocumentKind, reason: String)
    /// The replica was bound to another user or device meanwhile: nothing was stored.
    case conflictingBinding(replica: ReplicaID)
    /// A value read from the store is not one this build writes (a role, channel or document
    /// name it does not know): the store was written by a newer or foreign program.
    case unreadableValue(column: String, value: String)
    /// The store (or this way into it) was closed: the relay is shutting down.
    case storeClosed
    /// `--postgres` given to a build without the `PostgreSQL` package trait.
    case postgresNotBuilt

    /// What went wrong and what to do about it.
    public var description: String {
        switch self {
        case .storeNotFound(let path):
            "no relay store at \(path); check --data, or issue a token first to create one"
        case .unknownToken(let id):
            "no token has id \(id); run 'sync-server token list' to see the ids"
        case .duplicateToken(let id):
            "a token with id \(id) or the same secret already exists; issue the token again"
        case .conflictingDeal(let id):
            "deal \(id) is already registered with a different dealership, buyer or creator"
        case .unknownDeal(let id):
            "deal \(id) is not registered on this relay; register the deal before sending its changes"
        case .conflictingChange(let deal, let replica, let seq):
            "another change is already stored as change \(seq) of replica \(replica) in deal \(deal); nothing was stored: retry the request"
        case .notNextChange(let deal, let replica, let seq, let expected):
            "change \(seq) of replica \(replica) in deal \(deal) is not the next one (expected \(expected)); nothing was stored: retry the request"
        case .compactionBlocked(let deal, let document, let reason):
            "deal \(deal)'s \(document.rawValue) document was not compacted: \(reason)"
        case .unreadableBase(let deal, let document, let reason):
            "the compacted base of deal \(deal)'s \(document.rawValue) document does not load (\(reason)): the relay's store is damaged; restore it from a backup"
        case .compactionBehind(let deal, let through, let stored):
            "deal \(deal) is compacted through log position \(stored) already, past \(through); nothing was changed"
        case .conflictingBinding(let replica):
            "replica \(replica) was bound to another device meanwhile; nothing was stored: retry the request"
        case .unreadableValue(let column, let value):
            "the store holds \(column) \"\(value)\" that this build does not know; "
                + "it was written by a newer version of sync-server"
        case .postgresNotBuilt:
            "this sync-server was built without PostgreSQL support: build it with 'swift build --traits PostgreSQL' (needs libpq-dev), or leave out --postgres to use the SQLite store in --data"
        case .storeClosed:
            "the store is closed (the relay is shutting down); retry shortly"
        }
    }
}
