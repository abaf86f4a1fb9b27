import CRDT

/// Why an edit of a deal card was refused. Nothing was changed.
public enum CardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The role may not make this edit (unknown field, wrong document, not a writer).
    case permission(PermissionError)
    /// The value does not fit the field's type.
    case invalidValue(FieldValueError)
    /// The edit needs another kind of field (a record edit on a scalar field, and so on).
    case wrongFieldKind(path: String, expected: String, actual: String)
    /// A record index outside the list.
    case noSuchRecord(path: String, index: Int, count: Int)
    /// A record sub-field the field does not define.
    case unknownRecordField(path: String, field: String, known: [String])
    /// The stage has no field this role may write, so it may not skip or resume it.
    case cannotSkip(role: Role, stage: Stage)
    /// A value over the card's budget (``CardBudget/valueBytes``): the relay would refuse it.
    case tooLarge(path: String, bytes: Int, limit: Int)
    /// The engine refused the edit (a bug if it happens through this API).
    case engine(CRDTError)

    public var description: String {
        switch self {
        case .permission(let error): "\(error)"
        case .invalidValue(let error): "\(error)"
        case .wrongFieldKind(let path, let expected, let actual):
            "\(path) is a \(actual) field; this edit needs a \(expected) field"
        case .noSuchRecord(let path, let index, let count):
            "\(path) has \(count) record\(count == 1 ? "" : "s"); there is no record at index \(index)"
        case .unknownRecordField(let path, let field, let known):
            "\(path) records have no field \"\(field)\" (fields: \(known.joined(separator: ", ")))"
        case .cannotSkip(let role, let stage):
            "role \(role.rawValue) writes no field of stage \(stage.rawValue), so it cannot skip or resume it"
        case .tooLarge(let path, let bytes, let limit):
            "\(path): a value of \(bytes) bytes is over the limit of \(limit) bytes; shorten it or attach it as a document"
        case .engine(let error): "engine error: \(error)"
        }
    }
}
