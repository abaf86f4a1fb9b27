/// The type of a field's value, which decides how it is parsed, stored and merged.
///
/// The schema-file spelling of each case is its ``name``: `text`, `money`, `integer`,
/// `date`, `enum`, `boolean`, `list`.
public enum FieldType: Sendable, Hashable {
    /// Free text. A `collaborative` text (long notes several people edit at once) is
    /// stored as a text CRDT so concurrent edits merge character by character; any
    /// other text is a single value, and concurrent writes become a conflict.
    case text(collaborative: Bool)
    /// An amount of money in minor units (kopecks for RUB) of one fixed currency.
    case money(currency: String)
    /// A whole number (term in months, mileage, year, score).
    case integer
    /// A calendar date, written `YYYY-MM-DD`; no time and no time zone.
    case date
    /// One of a fixed list of values (the list may grow through a schema file).
    case enumeration(values: [String])
    /// Yes or no.
    case boolean
    /// An ordered list of records (accessories, drivers, bank applications, messages),
    /// each record a set of typed sub-fields. Sub-fields are never lists themselves.
    case list(fields: [RecordField])

    /// A plain, single-value text field.
    public static let text = FieldType.text(collaborative: false)
    /// A money field in Russian roubles.
    public static let rubles = FieldType.money(currency: Currency.defaultCode)

    /// The type's name in schema files and messages.
    public var name: String {
        switch self {
        case .text: "text"
        case .money: "money"
        case .integer: "integer"
        case .date: "date"
        case .enumeration: "enum"
        case .boolean: "boolean"
        case .list: "list"
        }
    }

    /// Every type name a schema file may use, in the order messages list them.
    public static let names = ["text", "money", "integer", "date", "enum", "boolean", "list"]

    /// Whether the value is money (directly, not inside a record).
    public var isMoney: Bool {
        if case .money = self { return true }
        return false
    }

    /// Whether the value is a text CRDT rather than a single value.
    public var isCollaborative: Bool {
        if case .text(collaborative: true) = self { return true }
        return false
    }

    /// The record's sub-fields when the type is a list, else `nil`.
    public var recordFields: [RecordField]? {
        if case .list(let fields) = self { return fields }
        return nil
    }

    /// A phrase describing what a value of this type looks like, for error messages.
    public var expectation: String {
        switch self {
        case .text: "text"
        case .money(let currency):
            "an amount of \(currency) like \"300 000\" or \"300000.50\""
        case .integer: "a whole number like \"36\""
        case .date: "a date written YYYY-MM-DD"
        case .enumeration(let values): "one of " + values.joined(separator: ", ")
        case .boolean: "true or false"
        case .list: "a list of records"
        }
    }
}

/// One typed sub-field of the records in a list field.
public struct RecordField: Sendable, Hashable {
    /// The sub-field's name: a lowerCamel identifier, unique within its record.
    public var name: String
    /// The sub-field's type; never a list.
    public var type: FieldType
    /// A title for people; defaults to the name.
    public var title: String

    /// Creates a sub-field. A nested list is a programming error here (a schema file
    /// that declares one is refused with a message instead).
    public init(_ name: String, _ type: FieldType, title: String? = nil) {
        precondition(type.recordFields == nil, "record sub-fields cannot be lists")
        self.name = name
        self.type = type
        self.title = title ?? name
    }
}
