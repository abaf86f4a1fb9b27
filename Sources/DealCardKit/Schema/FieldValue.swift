/// A typed value of one field (or of one sub-field of a record).
///
/// Values are what the replica materializes from a card for the schema's pure
/// functions (stage status, completeness) and what user input and JSON parse into.
/// A collaborative text is materialized as `.text` too.
public enum FieldValue: Sendable, Hashable {
    /// The value of a text field, collaborative or not.
    case text(String)
    /// An amount in minor units (kopecks for RUB) and its ISO 4217 currency code.
    case money(minorUnits: Int64, currency: String)
    /// A whole number.
    case integer(Int64)
    /// A calendar date.
    case date(CalendarDate)
    /// One of an enum field's allowed values.
    case enumCase(String)
    /// Yes or no.
    case boolean(Bool)
    /// One record of a list field: sub-field name to value; absent sub-fields are unset.
    case record([String: FieldValue])
    /// The value of a whole list field: its records in order.
    case list([FieldValue])

    /// Whether the value counts as filled in for completeness: text that is not only
    /// whitespace, a list or record with at least one entry, and any other value.
    public var isFilled: Bool {
        switch self {
        // A character is whitespace when its first scalar is: a text whose first scalar is
        // not is filled, which spares the grapheme breaking for nearly every text.
        case .text(let text): !(text.unicodeScalars.first?.properties.isWhitespace ?? true) || !text.allSatisfy(\.isWhitespace)
        case .record(let fields): fields.values.contains(where: \.isFilled)
        case .list(let records): !records.isEmpty
        default: true
        }
    }

    /// Whether the value has the shape `type` requires: the right case, a currency
    /// equal to the field's, an allowed enum value, known sub-fields of the right types.
    ///
    /// The relay uses this to refuse a well-permitted write of an ill-typed value.
    public func conforms(to type: FieldType) -> Bool {
        switch (type, self) {
        case (.text, .text), (.integer, .integer), (.date, .date), (.boolean, .boolean):
            return true
        case (.money(let expected), .money(_, let currency)):
            return expected == currency
        case (.enumeration(let values), .enumCase(let value)):
            return values.contains(value)
        case (.list(let fields), .list(let records)):
            return records.allSatisfy { $0.conformsToRecord(fields) }
        case (.list(let fields), .record):
            return conformsToRecord(fields)
        default:
            return false
        }
    }

    private func conformsToRecord(_ fields: [RecordField]) -> Bool {
        guard case .record(let values) = self else { return false }
        for (name, value) in values {
            guard let field = fields.first(where: { $0.name == name }), value.conforms(to: field.type)
            else { return false }
        }
        return true
    }

    /// The value for people: money as `2 330 000 ₽`, dates as `YYYY-MM-DD`, records
    /// as `name: value; …` in key order, lists one record per `|`.
    public var displayText: String {
        switch self {
        case .text(let text): text
        case .money(let minorUnits, let currency): FieldValue.formatMoney(minorUnits: minorUnits, currency: currency)
        case .integer(let value): String(value)
        case .date(let date): date.description
        case .enumCase(let value): value
        case .boolean(let value): value ? "yes" : "no"
        case .record(let fields):
            fields.keys.sorted().map { "\($0): \(fields[$0]!.displayText)" }.joined(separator: "; ")
        case .list(let records): records.map(\.displayText).joined(separator: " | ")
        }
    }
}

/// A value that does not fit its field: names the field, what was expected and
/// what was given.
public struct FieldValueError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field (or `list.index.subField`) whose value was wrong.
    public let path: String
    /// What the field accepts, e.g. `an amount of RUB like "300 000" or "300000.50"`.
    public let expected: String
    /// The offending input as shown to people (quoted, or a JSON kind like `an array`).
    public let found: String

    public init(path: String, expected: String, found: String) {
        self.path = path
        self.expected = expected
        self.found = found
    }

    /// `credit.termMonths: expected a whole number like "36", got "three"`.
    public var description: String { "\(path): expected \(expected), got \(found)" }
}
