import DealCardKit

/// Why a device store operation failed. Nothing that was already committed is lost.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// No store at the folder: run `init` (``DeviceStore/create(at:identity:schema:)``) first.
    case notInitialized(path: String)
    /// A store already exists at the folder.
    case alreadyInitialized(path: String)
    /// The store has no deal with this id.
    case noSuchDeal(DealID)
    /// The device's role may not read this document (a buyer and the staff card).
    case documentNotReadable(role: Role, document: DealDocumentKind)
    /// The edit was refused by the card rules; nothing was written.
    case card(CardError)
    /// A value given as text does not parse for the field's type.
    case invalidValue(FieldValueError)
    /// The path names no field of the schema.
    case unknownField(path: String, suggestion: String?)
    /// Stored bytes could not be decoded: the store file was damaged.
    case corrupt(String)
    /// SQLite refused (disk full, read-only folder, locked by another process…); see the
    /// underlying error's description for what to do.
    case database(String)
    /// A row broke a rule of the store's tables (a key already taken, a row naming what the
    /// store lacks) and nothing of the call was kept. The message names the row; this is a bug
    /// in the code that wrote it, not damage to the file.
    case constraint(String)
    /// The store was closed; open it again.
    case closed
    /// A deal with this id already exists.
    case dealExists(DealID)
    /// The deal id is malformed.
    case invalidDealID(String)

    public var description: String {
        switch self {
        case .notInitialized(let path): "no device store at \(path); create one first (sync-client init)"
        case .alreadyInitialized(let path): "a device store already exists at \(path)"
        case .noSuchDeal(let id): "no deal \(id) in this store (sync to fetch deals from the relay)"
        case .documentNotReadable(let role, let document): "role \(role.rawValue) may not read the \(document.rawValue) card"
        case .card(let error): "\(error)"
        case .invalidValue(let error): "\(error)"
        case .unknownField(let path, let suggestion):
            "unknown field \(path)" + (suggestion.map { "; did you mean \($0)?" } ?? "")
        case .corrupt(let reason): "the store is damaged: \(reason)"
        case .database(let reason): reason
        case .constraint(let reason): reason
        case .invalidDealID(let reason): reason
        case .closed: "the device store is closed"
        case .dealExists(let id): "deal \(id) already exists"
        }
    }

    /// Wraps any error thrown by the SQLite layer.
    static func wrap(_ error: any Error) -> StoreError {
        if let store = error as? StoreError { return store }
        if let card = error as? CardError { return .card(card) }
        return .database("\(error)")
    }
}
