import CRDT

/// How typed field values are stored in a card document.
///
/// A card is a CRDT document whose root map has one key per field path
/// (`credit.downPayment`), so every field is one register: concurrent writes of a field are
/// a conflict of that field. Scalars: text, date (`YYYY-MM-DD`) and enum values are strings,
/// money is an int of minor units (the currency is the field's), integers are ints, booleans
/// bools. A list-of-records field is a list object whose elements are map objects, one key
/// per sub-field. A collaborative text is a text object. A skipped stage is marked by the
/// root key `$skipped.<stage>` = true.
public enum CardCodec {
    /// The root key that marks `stage` skipped.
    public static func skipKey(_ stage: Stage) -> String { "$skipped." + stage.rawValue }

    /// The stage a `$skipped.` key names, or nil.
    public static func stage(ofSkipKey key: String) -> Stage? {
        guard key.hasPrefix("$skipped.") else { return nil }
        return Stage(rawValue: String(key.dropFirst("$skipped.".count)))
    }

    /// The stored scalar of a scalar value; nil for records, lists and collaborative text.
    public static func scalar(_ value: FieldValue) -> ScalarValue? {
        switch value {
        case .text(let text): .string(text)
        case .money(let minorUnits, _): .int(minorUnits)
        case .integer(let number): .int(number)
        case .date(let date): .string(date.description)
        case .enumCase(let name): .string(name)
        case .boolean(let flag): .bool(flag)
        case .record, .list: nil
        }
    }

    /// Reads a stored scalar as a value of `type`; nil when it has another shape.
    public static func value(_ scalar: ScalarValue, as type: FieldType) -> FieldValue? {
        switch (type, scalar) {
        case (.text(collaborative: false), .string(let text)): return .text(text)
        case (.money(let currency), .int(let minorUnits)): return .money(minorUnits: minorUnits, currency: currency)
        case (.integer, .int(let number)): return .integer(number)
        case (.date, .string(let text)): return CalendarDate(text).map(FieldValue.date)
        case (.enumeration(let values), .string(let name)): return values.contains(name) ? .enumCase(name) : nil
        case (.boolean, .bool(let flag)): return .boolean(flag)
        default: return nil
        }
    }

    /// Whether `type` is stored as a single scalar register.
    public static func isScalar(_ type: FieldType) -> Bool {
        switch type {
        case .list, .text(collaborative: true): false
        default: true
        }
    }

    /// The container object kind of a list or collaborative-text field.
    public static func containerKind(_ type: FieldType) -> ObjectKind? {
        switch type {
        case .list: .list
        case .text(collaborative: true): .text
        default: nil
        }
    }
}
