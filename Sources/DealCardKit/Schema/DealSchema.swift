/// The deal card's schema: every field's path, type, stage, document and writers.
///
/// One value serves the device (to refuse a forbidden edit before it is made) and
/// the relay (to reject a forged one). It starts from ``standard`` — the built-in
/// default — and a dealer group may extend it with a schema file
/// (``init(extending:file:)``); ``canonicalJSON`` hands a relay's schema to devices.
///
/// Invariants, checked whenever a schema is built: paths are valid and unique, no
/// path is a prefix of another at a segment boundary (so a write target resolves to
/// exactly one field), staff-card fields (`staff.` paths) are never written by the
/// buyer, enum fields have at least one value, and record sub-fields are unique.
public struct DealSchema: Sendable, Hashable {
    /// The schema-file format version this code reads and writes.
    public static let formatVersion = 1

    /// A name for the schema (`"default"`, or the dealer group's own).
    public let name: String
    /// Every field, built-in fields first in their built-in order, additions after.
    public let fields: [FieldSpec]
    private let indexByPath: [String: Int]
    /// Where each field lives, worked out once: every card read asks it of every field.
    let layout: FieldLayout

    /// Builds a schema from field declarations, checking the invariants above.
    /// - Throws: ``SchemaError`` located at `fields[i]` for the first broken rule.
    public init(name: String, fields: [FieldSpec]) throws(SchemaError) {
        var index: [String: Int] = [:]
        for (position, field) in fields.enumerated() {
            let location = "fields[\(position)]"
            if let earlier = index[field.path] {
                throw SchemaError(at: location + ".path", "duplicate path \(SchemaText.quoted(field.path)) (also at fields[\(earlier)])")
            }
            if let problem = DealSchema.problem(with: field) {
                throw SchemaError(at: location, problem)
            }
            index[field.path] = position
        }
        for field in fields {
            var prefix = ""
            for segment in field.path.split(separator: ".").dropLast() {
                prefix += prefix.isEmpty ? String(segment) : "." + segment
                if index[prefix] != nil {
                    throw SchemaError(
                        at: "fields[\(index[field.path]!)].path",
                        "\(field.path) lies inside the field \(prefix); a field cannot contain another")
                }
            }
        }
        self.name = name
        self.fields = fields
        self.indexByPath = index
        self.layout = FieldLayout(fields)
    }

    /// What is wrong with one declaration taken alone, or `nil`.
    static func problem(with field: FieldSpec) -> String? {
        if field.document == .staff, field.writers.contains(.buyer) {
            return "the buyer cannot write \(field.path): it is in the staff card, which a buyer never reads"
        }
        if case .enumeration(let values) = field.type {
            if values.isEmpty { return "an enum needs at least one value" }
            if Set(values).count != values.count { return "enum values must be unique" }
        }
        if case .money(let currency) = field.type, !Currency.isValidCode(currency) {
            return "currency \(SchemaText.quoted(currency)) is not three capital letters"
        }
        if let subFields = field.type.recordFields {
            if subFields.isEmpty { return "a list needs at least one record sub-field" }
            var seen: Set<String> = []
            for sub in subFields {
                guard FieldPath.isIdentifier(sub.name) else { return "invalid sub-field name \(SchemaText.quoted(sub.name))" }
                guard seen.insert(sub.name).inserted else { return "duplicate sub-field \(SchemaText.quoted(sub.name))" }
            }
        }
        return nil
    }

    /// The field declared at exactly `path`, or `nil`.
    /// - Complexity: O(1).
    public func field(_ path: String) -> FieldSpec? {
        indexByPath[path].map { fields[$0] }
    }

    /// The field declared at exactly `path` if it lives in `document`, or `nil`.
    /// - Complexity: O(1).
    func field(_ path: String, in document: DealDocumentKind) -> FieldSpec? {
        guard let index = indexByPath[path], layout.documents[index] == document else { return nil }
        return fields[index]
    }

    /// The field a write target falls under, or `nil` if it names no field.
    ///
    /// A target is a field path, or a path below a list field: an element
    /// (`credit.applications.2` or `credit.applications.7@dev`) or one sub-field of an
    /// element (`credit.applications.2.status`); these resolve to the list field. A
    /// target below any other kind of field, or naming an unknown sub-field, is `nil`.
    /// - Complexity: O(segments).
    public func resolve(_ target: String) -> FieldSpec? {
        if let exact = field(target) { return exact }
        let segments = target.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count >= 3 else { return nil }
        var prefix = String(segments[0])
        for count in 2..<segments.count {
            prefix += "." + segments[count - 1]
            guard let spec = field(prefix) else { continue }
            guard let subFields = spec.type.recordFields else { return nil }
            let rest = segments[count...]
            guard let element = rest.first, !element.isEmpty, rest.count <= 2 else { return nil }
            if rest.count == 2, !subFields.contains(where: { $0.name == rest.last! }) { return nil }
            return spec
        }
        return nil
    }

    /// The fields of one stage in one document, in schema order.
    public func fields(in stage: Stage, document: DealDocumentKind) -> [FieldSpec] {
        fields.filter { $0.stage == stage && $0.document == document }
    }

    /// The fields of one document, in schema order.
    /// - Complexity: O(1).
    public func fields(in document: DealDocumentKind) -> [FieldSpec] {
        layout.fieldsByDocument[document] ?? []
    }

    /// The known field path nearest to `path` by edit distance, if one is close
    /// enough to be a likely typo (used for "did you mean" hints).
    public func suggestion(for path: String) -> String? {
        var best: (path: String, distance: Int)?
        for field in fields {
            let distance = SchemaText.editDistance(path, field.path)
            if distance <= max(2, path.count / 5), distance < (best?.distance ?? Int.max) {
                best = (field.path, distance)
            }
        }
        return best?.path
    }
}

/// A schema that cannot be built or a schema file that cannot be read: where and why.
public struct SchemaError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where in the file the problem is, as a JSON path like `fields[3].type`; empty
    /// when it concerns the file as a whole (for example invalid JSON).
    public let location: String
    /// What is wrong and, where possible, what was expected.
    public let reason: String

    public init(at location: String, _ reason: String) {
        self.location = location
        self.reason = reason
    }

    /// `fields[3].type: unknown type "mony"; expected one of text, money, …`.
    public var description: String { location.isEmpty ? reason : "\(location): \(reason)" }
}
