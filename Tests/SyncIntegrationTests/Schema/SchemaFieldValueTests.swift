import Testing
import CanonicalJSON
import DealCardKit

/// Parsing people's input and JSON into typed values, and formatting money.
@Suite("Field values")
struct SchemaFieldValueTests {
    static let rub = FieldType.rubles

    @Test("money input", arguments: [
        ("300000", 30_000_000),
        ("300 000", 30_000_000),
        ("300\u{00A0}000", 30_000_000),
        ("300\u{202F}000", 30_000_000),
        ("2 330 000 ₽", 233_000_000),
        ("300000.50", 30_000_050),
        ("300000,5", 30_000_050),
        ("  1 000,05  ", 100_005),
        ("0.01", 1),
        ("-1 500", -150_000),
        ("1500 RUB", 150_000),
        ("1500 rub", 150_000),
    ] as [(String, Int64)])
    func moneyInput(input: String, minorUnits: Int64) throws {
        let value = try FieldValue(parsing: input, type: Self.rub, path: "vehicle.price")
        #expect(value == .money(minorUnits: minorUnits, currency: "RUB"))
    }

    @Test("money input refused", arguments: [
        "", "abc", "300,000", "300.505", "30 00", "3000 000", "1 000 000 000 000 000 000", "12.", ".5", "1 000.00 USD", "--5",
    ])
    func moneyInputRefused(input: String) {
        #expect(throws: FieldValueError(
            path: "vehicle.price", expected: "an amount of RUB like \"300 000\" or \"300000.50\"", found: "\"\(input)\""
        )) {
            try FieldValue(parsing: input, type: Self.rub, path: "vehicle.price")
        }
    }

    @Test func otherCurrenciesUseTheirMinorDigits() throws {
        #expect(try FieldValue(parsing: "1500", type: .money(currency: "JPY"), path: "a.b") == .money(minorUnits: 1500, currency: "JPY"))
        #expect(throws: FieldValueError.self) { try FieldValue(parsing: "1500.5", type: .money(currency: "JPY"), path: "a.b") }
        #expect(try FieldValue(parsing: "1.5 USD", type: .money(currency: "USD"), path: "a.b") == .money(minorUnits: 150, currency: "USD"))
    }

    @Test func errorMessageNamesFieldAndExpectation() {
        let error = FieldValueError(path: "credit.termMonths", expected: FieldType.integer.expectation, found: "\"three\"")
        #expect(error.description == "credit.termMonths: expected a whole number like \"36\", got \"three\"")
        #expect(throws: error) { try FieldValue(parsing: "three", type: .integer, path: "credit.termMonths") }
    }

    @Test func scalarInputs() throws {
        #expect(try FieldValue(parsing: "36", type: .integer, path: "a.b") == .integer(36))
        #expect(try FieldValue(parsing: "120 000", type: .integer, path: "a.b") == .integer(120_000))
        #expect(try FieldValue(parsing: "-3", type: .integer, path: "a.b") == .integer(-3))
        #expect(throws: FieldValueError.self) { try FieldValue(parsing: "99999999999999999999", type: .integer, path: "a.b") }
        #expect(try FieldValue(parsing: "2024-02-29", type: .date, path: "a.b") == .date(CalendarDate(year: 2024, month: 2, day: 29)!))
        for bad in ["2023-02-29", "2024-13-01", "2024-1-01", "24-01-01", "2024/01/01", "2024-01-32"] {
            #expect(throws: FieldValueError.self, "\(bad)") { try FieldValue(parsing: bad, type: .date, path: "a.b") }
        }
        let status = FieldType.enumeration(values: ["none", "captured"])
        #expect(try FieldValue(parsing: "captured", type: status, path: "payment.status") == .enumCase("captured"))
        #expect(throws: FieldValueError(path: "payment.status", expected: "one of none, captured", found: "\"Captured\"")) {
            try FieldValue(parsing: "Captured", type: status, path: "payment.status")
        }
        #expect(try FieldValue(parsing: "Yes", type: .boolean, path: "a.b") == .boolean(true))
        #expect(try FieldValue(parsing: "0", type: .boolean, path: "a.b") == .boolean(false))
        #expect(throws: FieldValueError.self) { try FieldValue(parsing: "maybe", type: .boolean, path: "a.b") }
        #expect(try FieldValue(parsing: "  keep spaces ", type: .text, path: "a.b") == .text("  keep spaces "))
    }

    @Test func jsonValuesRoundTrip() throws {
        let type = try #require(DealSchema.standard.field("credit.applications")).type
        let json = try SchemaJSON(parsing: #"[{"bank":"Alfa","status":"approved","rate":1290,"approvedAmount":"1 500 000"}]"#)
        let value = try FieldValue(json: json, type: type, path: "credit.applications")
        #expect(value == .list([.record([
            "bank": .text("Alfa"), "status": .enumCase("approved"), "rate": .integer(1290),
            "approvedAmount": .money(minorUnits: 150_000_000, currency: "RUB"),
        ])]))
        #expect(try FieldValue(json: value.json, type: type, path: "credit.applications") == value)
        #expect(value.conforms(to: type))
        #expect(value.json.canonicalText
            == #"[{"approvedAmount":{"currency":"RUB","minorUnits":150000000},"bank":"Alfa","rate":1290,"status":"approved"}]"#)
    }

    @Test("JSON refused", arguments: [
        (#"300000"#, FieldType.rubles, "a.b: expected an amount of RUB like \"300 000\" or \"300000.50\", got 300000"),
        (#"{"minorUnits":1,"currency":"USD"}"#, .rubles, "a.b: expected an amount in RUB, got an amount in \"USD\""),
        (#"{"minor":1}"#, .rubles, "a.b: expected {\"minorUnits\": <integer>, \"currency\": \"RUB\"}, got an object"),
        (#"1.5"#, .integer, "a.b: expected a whole number within 64 bits, got 1.5"),
        (#""36""#, .integer, "a.b: expected a whole number like \"36\", got \"36\""),
        (#"true"#, .text, "a.b: expected text, got true"),
        (#"[{"colour":"red"}]"#, .list(fields: [RecordField("title", .text)]),
            "a.b[0].colour: expected one of the sub-fields title, got unknown sub-field \"colour\""),
        (#"[{"title":5}]"#, .list(fields: [RecordField("title", .text)]), "a.b[0].title: expected text, got 5"),
        (#"[5]"#, .list(fields: [RecordField("title", .text)]), "a.b[0]: expected a record object, got 5"),
    ] as [(String, FieldType, String)])
    func jsonRefused(text: String, type: FieldType, message: String) throws {
        let json = try SchemaJSON(parsing: text)
        do {
            _ = try FieldValue(json: json, type: type, path: "a.b")
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("money formatting", arguments: [
        (233_000_000, "RUB", "2 330 000 ₽"),
        (233_000_050, "RUB", "2 330 000,50 ₽"),
        (5, "RUB", "0,05 ₽"),
        (0, "RUB", "0 ₽"),
        (-150_000, "RUB", "-1 500 ₽"),
        (100_000, "RUB", "1 000 ₽"),
        (99_900, "RUB", "999 ₽"),
        (150_050, "USD", "1 500,50 USD"),
        (1_500, "JPY", "1 500 JPY"),
        (Int64.min, "RUB", "-92 233 720 368 547 758,08 ₽"),
    ] as [(Int64, String, String)])
    func moneyFormatting(minorUnits: Int64, currency: String, text: String) {
        #expect(FieldValue.formatMoney(minorUnits: minorUnits, currency: currency, space: " ") == text)
    }

    @Test func moneyFormattingUsesNoBreakSpaces() throws {
        #expect(FieldValue.formatMoney(minorUnits: 233_000_000, currency: "RUB") == "2\u{00A0}330\u{00A0}000\u{00A0}₽")
        let text = FieldValue.formatMoney(minorUnits: 123_456_789, currency: "RUB")
        #expect(try FieldValue(parsing: text, type: .rubles, path: "a.b") == .money(minorUnits: 123_456_789, currency: "RUB"))
    }

    @Test func conformance() {
        #expect(FieldValue.money(minorUnits: 1, currency: "RUB").conforms(to: .rubles))
        #expect(!FieldValue.money(minorUnits: 1, currency: "USD").conforms(to: .rubles))
        #expect(!FieldValue.enumCase("maybe").conforms(to: .enumeration(values: ["yes"])))
        #expect(!FieldValue.text("x").conforms(to: .integer))
        let list = FieldType.list(fields: [RecordField("title", .text)])
        #expect(FieldValue.record(["title": .text("Mats")]).conforms(to: list))
        #expect(!FieldValue.list([.record(["price": .integer(1)])]).conforms(to: list))
    }
}
