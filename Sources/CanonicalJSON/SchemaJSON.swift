/// A parsed JSON value, as read from a schema file or a field value in JSON.
///
/// Numbers keep their exact text so money and integers never pass through a
/// `Double`. Objects never hold duplicate keys: the parser refuses them. The type
/// reads and writes bytes itself (see `SchemaJSON+Parsing.swift` and
/// `SchemaJSON+Encoding.swift`) so that errors carry byte offsets and the encoding
/// is canonical, the same bytes on every platform.
public enum SchemaJSON: Sendable, Hashable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, as its JSON text (`-12`, `3.5e2`), never rounded through a `Double`.
    case number(String)
    /// A string, unescaped.
    case string(String)
    /// An array, in order.
    case array([SchemaJSON])
    /// An object; keys are unique (the parser refuses duplicates).
    case object([String: SchemaJSON])

    /// A JSON integer from a Swift integer.
    public static func integer(_ value: Int64) -> SchemaJSON { .number(String(value)) }

    /// The value as an `Int64` when it is an integral number in range (no fraction,
    /// no exponent), else `nil`.
    public var int64Value: Int64? {
        guard case .number(let text) = self else { return nil }
        return Int64(text)
    }

    /// The string, when the value is one.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// A short name of the value's kind for error messages: `a string`, `an object`.
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value for messages: short values verbatim, long ones summarized.
    package var snippet: String {
        switch self {
        case .string(let text):
            text.count <= 40 ? JSONText.quoted(text) : JSONText.quoted(String(text.prefix(40))) + "…"
        case .number(let text): text
        case .bool(let value): String(value)
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// Why bytes are not valid JSON, and where.
public struct SchemaJSONError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The zero-based byte offset of the problem in the input.
    public let offset: Int
    /// What was wrong there.
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
