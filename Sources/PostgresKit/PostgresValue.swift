#if PostgreSQL
/// A statement parameter. Text, integers and booleans are sent as text with their type, so
/// the server checks them against the column; bytes are sent in binary as `bytea`, never
/// escaped into the statement.
public enum PostgresValue: Sendable, Hashable {
    case null
    case text(String)
    case int(Int64)
    case bool(Bool)
    case bytes([UInt8])

    /// The parameter's type OID (`pg_type`): the server reads the parameter as this type.
    var typeOID: UInt32 {
        switch self {
        case .null: 0  // unspecified: the server infers it from the statement
        case .text: 25  // text
        case .int: 20  // int8
        case .bool: 16  // bool
        case .bytes: 17  // bytea
        }
    }

    /// The bytes sent, and whether they are binary (format 1); nil for NULL.
    var wire: (bytes: [UInt8], binary: Bool)? {
        switch self {
        case .null: nil
        case .text(let text): (Array(text.utf8), false)
        case .int(let value): (Array(String(value).utf8), false)
        case .bool(let value): (Array((value ? "t" : "f").utf8), false)
        case .bytes(let bytes): (bytes, true)
        }
    }
}
#endif
