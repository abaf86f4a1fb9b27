import CanonicalJSON
extension FieldValue {
    /// Reads a value of type `type` from JSON.
    ///
    /// The JSON shape of each type (``json`` writes exactly these):
    /// - text, enum: a string; date: a `"YYYY-MM-DD"` string; boolean: `true`/`false`.
    /// - integer: an integral JSON number within 64 bits (no fraction, no exponent).
    /// - money: `{"minorUnits": 30000000, "currency": "RUB"}`; a string is also
    ///   accepted and parsed by the user-input rules (`"300 000"`). A bare number is
    ///   refused: it would be ambiguous between roubles and kopecks.
    /// - list: an array of objects whose keys are sub-field names; unknown sub-fields
    ///   are refused, absent ones are unset. A single object is accepted as one record.
    /// - Throws: ``FieldValueError`` naming the path (`credit.applications[1].rate`).
    public init(json: SchemaJSON, type: FieldType, path: String) throws(FieldValueError) {
        func failure(_ expected: String? = nil) -> FieldValueError {
            FieldValueError(path: path, expected: expected ?? type.expectation, found: json.snippet)
        }
        switch (type, json) {
        case (.text, .string(let text)):
            self = .text(text)
        case (.enumeration, .string(let text)), (.date, .string(let text)):
            try self.init(parsing: text, type: type, path: path)
        case (.boolean, .bool(let value)):
            self = .boolean(value)
        case (.integer, .number):
            guard let value = json.int64Value else { throw failure("a whole number within 64 bits") }
            self = .integer(value)
        case (.money, .string(let text)):
            try self.init(parsing: text, type: type, path: path)
        case (.money(let currency), .object(let members)):
            let shape = "{\"minorUnits\": <integer>, \"currency\": \"\(currency)\"}"
            guard Set(members.keys).isSubset(of: ["minorUnits", "currency"]),
                let minorUnits = members["minorUnits"]?.int64Value
            else { throw failure(shape) }
            let given = members["currency"]?.stringValue ?? currency
            guard given == currency else {
                throw FieldValueError(path: path, expected: "an amount in \(currency)", found: "an amount in \(SchemaText.quoted(given))")
            }
            self = .money(minorUnits: minorUnits, currency: currency)
        case (.list(let fields), .array(let elements)):
            var records: [FieldValue] = []
            for (index, element) in elements.enumerated() {
                records.append(try FieldValue.record(json: element, fields: fields, path: "\(path)[\(index)]"))
            }
            self = .list(records)
        case (.list(let fields), .object):
            self = try FieldValue.record(json: json, fields: fields, path: path)
        default:
            throw failure()
        }
    }

    /// Reads one record object against its sub-field declarations.
    static func record(json: SchemaJSON, fields: [RecordField], path: String) throws(FieldValueError) -> FieldValue {
        guard case .object(let members) = json else {
            throw FieldValueError(path: path, expected: "a record object", found: json.snippet)
        }
        var values: [String: FieldValue] = [:]
        for key in members.keys.sorted() {
            guard let field = fields.first(where: { $0.name == key }) else {
                throw FieldValueError(
                    path: "\(path).\(key)",
                    expected: "one of the sub-fields " + fields.map(\.name).joined(separator: ", "),
                    found: "unknown sub-field \(SchemaText.quoted(key))")
            }
            if case .null = members[key]! { continue }
            values[key] = try FieldValue(json: members[key]!, type: field.type, path: "\(path).\(key)")
        }
        return .record(values)
    }

    /// The value's JSON form, the one ``init(json:type:path:)`` reads back.
    public var json: SchemaJSON {
        switch self {
        case .text(let text), .enumCase(let text): .string(text)
        case .money(let minorUnits, let currency):
            .object(["minorUnits": .integer(minorUnits), "currency": .string(currency)])
        case .integer(let value): .integer(value)
        case .date(let date): .string(date.description)
        case .boolean(let value): .bool(value)
        case .record(let fields): .object(fields.mapValues(\.json))
        case .list(let records): .array(records.map(\.json))
        }
    }
}
