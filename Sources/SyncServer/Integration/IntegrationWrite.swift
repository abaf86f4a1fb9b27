import CanonicalJSON
import DealCardKit

/// The body of an integration write (`POST /v1/integration/deals[/{deal}]`), parsed but not
/// yet checked against the schema (protocol-spec/integration.md).
///
/// ```json
/// {"deal": "d-42",
///  "fields": {"payment.status": "captured", "payment.reference": null},
///  "records": {"documents.items": [{"kind": "invoice", "reference": "INV-7"}]}}
/// ```
///
/// `deal` only when creating; `fields` sets whole fields (`null` clears one); `records`
/// appends records to list fields. Parsing is pure and never traps on untrusted bytes.
struct IntegrationWrite: Equatable {
    /// Largest number of field writes plus appended records in one request.
    static let maximumEdits = 1_000

    /// The client-chosen id of a new deal (create only).
    var deal: DealID?
    /// Field path → JSON value, `.null` to clear; in path order.
    var fields: [(path: String, value: SchemaJSON)]
    /// List field path → records to append, in path order.
    var records: [(path: String, records: [SchemaJSON])]

    static func == (lhs: IntegrationWrite, rhs: IntegrationWrite) -> Bool {
        lhs.deal == rhs.deal && lhs.fields.elementsEqual(rhs.fields) { $0 == $1 }
            && lhs.records.elementsEqual(rhs.records) { $0 == $1 }
    }

    /// Parses a request body; `creating` allows the `deal` member.
    /// - Throws: ``RelayError`` `bad_request` naming the member that is wrong.
    init(body: [UInt8], creating: Bool) throws(RelayError) {
        let json: SchemaJSON
        do {
            json = try SchemaJSON(parsing: body)
        } catch {
            throw RelayError(.badRequest, "the body is not JSON: \(error)")
        }
        guard case .object(let members) = json else {
            throw RelayError(.badRequest, "the body must be a JSON object like {\"fields\": {\"payment.status\": \"captured\"}}")
        }
        let allowed: Set<String> = creating ? ["deal", "fields", "records"] : ["fields", "records"]
        for key in members.keys.sorted() where !allowed.contains(key) {
            let hint = key == "deal" ? "; the deal is named in the path when updating" : ""
            throw RelayError(.badRequest, "unknown member \"\(key)\" (members: \(allowed.sorted().joined(separator: ", ")))\(hint)")
        }
        deal = nil
        if let id = members["deal"], id != .null {
            guard let text = id.stringValue else { throw RelayError(.badRequest, "deal: expected a string, got \(id.kindDescription)") }
            guard let parsed = DealID(text) else {
                throw RelayError(.badRequest, "deal: \(DealID.problem(with: text) ?? "not a deal id")")
            }
            deal = parsed
        }
        fields = []
        if let value = members["fields"] {
            guard case .object(let map) = value else {
                throw RelayError(.badRequest, "fields: expected an object of field path → value, got \(value.kindDescription)")
            }
            fields = map.keys.sorted().map { ($0, map[$0]!) }
        }
        records = []
        if let value = members["records"] {
            guard case .object(let map) = value else {
                throw RelayError(.badRequest, "records: expected an object of list field path → array of records, got \(value.kindDescription)")
            }
            for path in map.keys.sorted() {
                guard case .array(let elements) = map[path]! else {
                    throw RelayError(.badRequest, "records.\(path): expected an array of record objects, got \(map[path]!.kindDescription)")
                }
                records.append((path, elements))
            }
        }
        if let path = fields.map(\.path).first(where: { path in records.contains { $0.path == path } }) {
            throw RelayError(.badRequest, "\(path) is both in fields and in records; replace the list or append to it, not both")
        }
        if fields.count + records.reduce(0, { $0 + $1.records.count }) > Self.maximumEdits {
            throw RelayError(.badRequest, "at most \(Self.maximumEdits) field writes and records per request; split the rest")
        }
    }

    /// The typed edits, checked for role `role` against `schema`: every path must name a
    /// field (400), the role must be allowed to write it (403), and every value must fit its
    /// type (400). Paths are checked in order and the first problem is thrown; nothing has
    /// been written when it is.
    ///
    /// - Returns: the one document the edits touch (nil for no edits) and the edits.
    /// - Throws: ``RelayError`` naming the field; `bad_request` when the edits touch both
    ///   documents of the deal (one request makes one change).
    func edits(schema: DealSchema, role: Role) throws(RelayError) -> (document: DealDocumentKind?, edits: [IntegrationEdit]) {
        var edits: [IntegrationEdit] = []
        for (path, value) in fields {
            let spec = try Self.writableField(path, schema: schema, role: role)
            if value == .null {
                edits.append(.clear(spec))
                continue
            }
            do {
                edits.append(.set(spec, try spec.value(json: value)))
            } catch {
                throw RelayError(.badRequest, "\(error)")
            }
        }
        for (path, elements) in records {
            let spec = try Self.writableField(path, schema: schema, role: role)
            guard case .list = spec.type else {
                throw RelayError(.badRequest, "\(path) is a \(spec.type.name) field, not a list; set it under fields")
            }
            for (index, element) in elements.enumerated() {
                guard case .object = element else {
                    throw RelayError(.badRequest, "\(path)[\(index)]: expected a record object, got \(element.kindDescription)")
                }
                let record: FieldValue
                do {
                    record = try FieldValue(json: element, type: spec.type, path: "\(path)[\(index)]")
                } catch {
                    throw RelayError(.badRequest, "\(error)")
                }
                guard case .record(let values) = record else { continue }
                edits.append(.addRecord(spec, values))
            }
        }
        let documents = Set(edits.map(\.spec.document))
        if documents.count > 1 {
            let staff = edits.first { $0.spec.document == .staff }!.spec.path
            throw RelayError(.badRequest, "\(staff) is on the staff card and the other fields on the shared card; "
                             + "one request writes one card: send the staff-card fields in a second request")
        }
        return (documents.first, edits)
    }

    /// The field at `path` if `role` may write it.
    private static func writableField(_ path: String, schema: DealSchema, role: Role) throws(RelayError) -> FieldSpec {
        guard schema.field(path) != nil else {
            if schema.resolve(path) != nil {
                throw RelayError(.badRequest, "\(path) names a part of a list field; replace the whole list under fields or append records under records")
            }
            let suggestion = schema.suggestion(for: path).map { "; did you mean \($0)?" } ?? ""
            throw RelayError(.badRequest, "\(path): unknown field\(suggestion)")
        }
        do {
            return try schema.checkWrite(role: role, path: path, document: DealDocumentKind.of(path: path))
        } catch {
            throw RelayError(.forbidden, "\(path): \(error)")
        }
    }
}

/// One typed edit of an integration write, already checked.
enum IntegrationEdit: Equatable {
    case set(FieldSpec, FieldValue)
    case clear(FieldSpec)
    case addRecord(FieldSpec, [String: FieldValue])

    var spec: FieldSpec {
        switch self {
        case .set(let spec, _), .clear(let spec), .addRecord(let spec, _): spec
        }
    }
}
