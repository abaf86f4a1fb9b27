/// Why a role may not make a write; the same answer on the device and the relay.
public enum PermissionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The target names no field of the schema. `suggestion` is a near path, if any.
    case unknownField(path: String, suggestion: String?)
    /// The role may not read the document, so it may write nothing in it
    /// (the buyer and the staff card).
    case documentNotReadable(role: Role, document: DealDocumentKind)
    /// The field lives in the other document of the deal.
    case wrongDocument(path: String, fieldDocument: DealDocumentKind, target: DealDocumentKind)
    /// The role is not among the field's writers.
    case notAWriter(role: Role, path: String, writers: [Role])

    /// A sentence that names the role, the field and the rule, e.g.
    /// `role buyer may not write vehicle.price (writers: sales)`.
    public var description: String {
        switch self {
        case .unknownField(let path, let suggestion):
            "unknown field \(path)" + (suggestion.map { "; did you mean \($0)?" } ?? "")
        case .documentNotReadable(let role, let document):
            "role \(role.rawValue) may not read or write \(document.displayName)"
        case .wrongDocument(let path, let fieldDocument, let target):
            "\(path) belongs to \(fieldDocument.displayName), not \(target.displayName)"
        case .notAWriter(let role, let path, let writers):
            "role \(role.rawValue) may not write \(path) (writers: "
                + writers.map(\.rawValue).joined(separator: ", ") + ")"
        }
    }
}
