import CanonicalJSON
extension FieldValue {
    /// Parses what a person typed into a field of type `type`.
    ///
    /// Rules, by type:
    /// - text: taken as is.
    /// - money: optional `-` (or `−`), digits, an optional decimal part, and an optional
    ///   trailing currency sign (`₽` for RUB) or the currency code. Thousands may be
    ///   grouped in threes with a plain, no-break (U+00A0), narrow no-break (U+202F) or
    ///   thin (U+2009) space. The decimal separator is `.` or `,` followed by at most
    ///   the currency's minor digits (two for RUB). So `300000`, `300 000`,
    ///   `300 000,50 ₽` and `300000.5` are accepted; `300,000` is refused (three
    ///   decimals), because a money field never guesses which separator was meant.
    /// - integer: optional sign and digits, thousands grouped as for money.
    /// - date: exactly `YYYY-MM-DD`.
    /// - enum: exactly one of the allowed values (case-sensitive).
    /// - boolean: `true`/`false`, `yes`/`no`, `1`/`0` (any case).
    /// - list: a JSON array of record objects (see ``init(json:type:path:)``).
    ///
    /// Leading and trailing whitespace is ignored for every type but text.
    /// - Throws: ``FieldValueError`` naming `path` and what was expected.
    public init(parsing input: String, type: FieldType, path: String) throws(FieldValueError) {
        let trimmed = SchemaText.trimmed(input)
        let failure = FieldValueError(path: path, expected: type.expectation, found: SchemaText.quoted(input))
        switch type {
        case .text:
            self = .text(input)
        case .money(let currency):
            guard let minorUnits = FieldValue.parseMoney(trimmed, currency: currency) else { throw failure }
            self = .money(minorUnits: minorUnits, currency: currency)
        case .integer:
            guard let value = FieldValue.parseGroupedInteger(trimmed) else { throw failure }
            self = .integer(value)
        case .date:
            guard let date = CalendarDate(trimmed) else { throw failure }
            self = .date(date)
        case .enumeration(let values):
            guard values.contains(trimmed) else { throw failure }
            self = .enumCase(trimmed)
        case .boolean:
            switch trimmed.lowercased() {
            case "true", "yes", "1": self = .boolean(true)
            case "false", "no", "0": self = .boolean(false)
            default: throw failure
            }
        case .list:
            let json: SchemaJSON
            do { json = try SchemaJSON(parsing: trimmed) } catch {
                throw FieldValueError(path: path, expected: "a JSON array of records", found: error.description)
            }
            try self.init(json: json, type: type, path: path)
        }
    }

    /// The separators accepted between groups of three digits.
    static let groupSeparators: Set<Character> = [" ", "\u{00A0}", "\u{202F}", "\u{2009}"]

    /// Parses money text into minor units, or `nil` if it breaks the rules above.
    static func parseMoney(_ text: String, currency: String) -> Int64? {
        var body = Substring(text)
        if let symbol = Currency.symbol(for: currency), body.hasSuffix(symbol) {
            body = body.dropLast(symbol.count)
        } else if body.uppercased().hasSuffix(currency) {
            body = body.dropLast(currency.count)
        }
        body = Substring(SchemaText.trimmed(String(body)))
        var negative = false
        if let first = body.first, first == "-" || first == "\u{2212}" {
            negative = true
            body = body.dropFirst()
        }
        var wholePart = body
        var fraction = ""
        if let separator = body.lastIndex(where: { $0 == "." || $0 == "," }) {
            wholePart = body[..<separator]
            fraction = String(body[body.index(after: separator)...])
            let digits = Currency.minorDigits(for: currency)
            guard !fraction.isEmpty, fraction.count <= digits, fraction.allSatisfy(SchemaText.isASCIIDigit) else {
                return nil
            }
            fraction += String(repeating: "0", count: digits - fraction.count)
        }
        guard let whole = parseGroupedDigits(wholePart) else { return nil }
        let scale = Currency.scale(for: currency)
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: scale)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(fraction.isEmpty ? 0 : Int64(fraction)!)
        guard !overflow2 else { return nil }
        return negative ? -total : total
    }

    /// Parses an optionally signed integer with optional thousands grouping.
    static func parseGroupedInteger(_ text: String) -> Int64? {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "-" || first == "\u{2212}" || first == "+" {
            negative = first != "+"
            body = body.dropFirst()
        }
        guard let magnitude = parseGroupedDigits(body) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// Digits, either plain or in groups of three after a first group of one to three.
    private static func parseGroupedDigits(_ text: Substring) -> Int64? {
        let groups = text.split(omittingEmptySubsequences: false, whereSeparator: { groupSeparators.contains($0) })
        guard let first = groups.first, !first.isEmpty else { return nil }
        if groups.count > 1 {
            guard first.count <= 3, groups.dropFirst().allSatisfy({ $0.count == 3 }) else { return nil }
        }
        let digits = groups.joined()
        guard digits.allSatisfy(SchemaText.isASCIIDigit) else { return nil }
        return Int64(digits)
    }
}
