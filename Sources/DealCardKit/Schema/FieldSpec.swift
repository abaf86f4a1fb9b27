import CanonicalJSON
/// The declaration of one field of the deal card: where it lives, what it holds,
/// who may write it.
public struct FieldSpec: Sendable, Hashable {
    /// The dotted path, e.g. `credit.downPayment`; see ``FieldPath`` for the syntax.
    public let path: String
    /// The value's type.
    public var type: FieldType
    /// The stage the field belongs to, for progress and completeness.
    public var stage: Stage
    /// The roles allowed to write the field. Every role may read every field of a
    /// document it can read (see ``DealDocumentKind/isReadable(by:)``).
    public var writers: Set<Role>
    /// Whether the field counts toward its stage being done and the card's completeness.
    public var isRequired: Bool
    /// A title for people, e.g. "Down payment".
    public var title: String

    /// The document the field lives in: the staff card for `staff.` paths, else the
    /// shared card.
    public var document: DealDocumentKind { DealDocumentKind.of(path: path) }

    /// Whether the field holds money (so a conflict on it is shown prominently).
    public var isMoney: Bool { type.isMoney }

    /// The writers in declaration order (buyer, sales, …), for messages and encoding.
    public var orderedWriters: [Role] { Role.ordered(writers) }

    /// Creates a field declaration. The path must be valid (a programming error
    /// otherwise); paths read from files are checked with a thrown error instead.
    public init(
        _ path: String, _ type: FieldType, stage: Stage, writers: Set<Role>,
        required: Bool = false, title: String
    ) {
        precondition(FieldPath.problem(with: path) == nil, "invalid field path \(path)")
        self.path = path
        self.type = type
        self.stage = stage
        self.writers = writers
        self.isRequired = required
        self.title = title
    }

    /// Parses what a person typed into this field; see
    /// ``FieldValue/init(parsing:type:path:)`` for the rules.
    /// - Throws: ``FieldValueError`` naming this field.
    public func value(parsing input: String) throws(FieldValueError) -> FieldValue {
        try FieldValue(parsing: input, type: type, path: path)
    }

    /// Reads this field's value from JSON; see ``FieldValue/init(json:type:path:)``.
    /// - Throws: ``FieldValueError`` naming this field.
    public func value(json: SchemaJSON) throws(FieldValueError) -> FieldValue {
        try FieldValue(json: json, type: type, path: path)
    }
}

/// The syntax of field paths and of write targets below a list field.
///
/// A field path is two or more segments joined by `.`; each segment starts with an
/// ASCII lowercase letter followed by ASCII letters and digits (lowerCamel), at most
/// 128 bytes in all: `vehicle.model`, `staff.benefitsMenu`. A write target may go
/// below a list field: `credit.applications.<element>` or
/// `credit.applications.<element>.<subField>`, where `<element>` is an index or an
/// element id (any non-empty text without `.`).
public enum FieldPath {
    /// The longest accepted path, in bytes.
    public static let maximumLength = 128

    /// Why `path` is not a valid field path, or `nil` when it is.
    public static func problem(with path: String) -> String? {
        guard path.utf8.count <= maximumLength else { return "longer than \(maximumLength) bytes" }
        let segments = path.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count >= 2 else {
            return "expected at least two segments joined by '.', like \"vehicle.model\""
        }
        for segment in segments where !isIdentifier(segment) {
            return segment.isEmpty
                ? "empty segment"
                : "segment \(SchemaText.quoted(String(segment))) must start with a lowercase letter and contain only letters and digits"
        }
        return nil
    }

    /// Whether `name` is a lowerCamel identifier (also the rule for record sub-fields).
    static func isIdentifier<S: StringProtocol>(_ name: S) -> Bool {
        guard let first = name.utf8.first, first >= 0x61, first <= 0x7A else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
        }
    }
}
