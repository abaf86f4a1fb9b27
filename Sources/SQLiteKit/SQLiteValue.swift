/// A value stored in or read from SQLite, one case per storage class.
///
/// Empty text and empty blobs are values, not NULL: `.text("")` and `.blob([])` round-trip as
/// such, and only `.null` binds SQL NULL.
public enum SQLiteValue: Sendable, Hashable, CustomStringConvertible {
    /// SQL NULL.
    case null
    /// A 64-bit signed integer.
    case integer(Int64)
    /// An IEEE 754 double.
    case real(Double)
    /// UTF-8 text.
    case text(String)
    /// Raw bytes.
    case blob([UInt8])

    /// Whether this is SQL NULL.
    public var isNull: Bool {
        if case .null = self { true } else { false }
    }

    /// The integer payload, or nil for any other storage class.
    public var int64: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The real payload, or nil for any other storage class.
    public var double: Double? {
        if case .real(let value) = self { value } else { nil }
    }

    /// The text payload, or nil for any other storage class.
    public var string: String? {
        if case .text(let value) = self { value } else { nil }
    }

    /// The blob payload, or nil for any other storage class.
    public var bytes: [UInt8]? {
        if case .blob(let value) = self { value } else { nil }
    }

    /// A short rendering for logs and test failures; blobs show their length only.
    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let value): "'\(value)'"
        case .blob(let value): "<blob \(value.count) bytes>"
        }
    }
}

extension SQLiteValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral
{
    /// `nil` is SQL NULL.
    public init(nilLiteral: ()) {
        self = .null
    }

    /// An integer literal is `.integer`.
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }

    /// A float literal is `.real`.
    public init(floatLiteral value: Double) {
        self = .real(value)
    }

    /// A string literal is `.text`.
    public init(stringLiteral value: String) {
        self = .text(value)
    }

    /// Booleans are stored as the integers 0 and 1, as SQLite itself does.
    public init(booleanLiteral value: Bool) {
        self = .integer(value ? 1 : 0)
    }
}
