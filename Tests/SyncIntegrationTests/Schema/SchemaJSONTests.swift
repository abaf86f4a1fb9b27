import Testing
import CanonicalJSON

/// The JSON reader and canonical writer behind schema files and field values.
@Suite("Schema JSON")
struct SchemaJSONTests {
    @Test func parsesEveryKind() throws {
        let value = try SchemaJSON(parsing: #" {"a": [1, -2.5e3, true, false, null], "b": "x\u00e9\ud83d\ude00\n\"", "c": {}} "#)
        #expect(value == .object([
            "a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]),
            "b": .string("xé😀\n\""),
            "c": .object([:]),
        ]))
        #expect(try SchemaJSON(parsing: "\"Лада ₽\"") == .string("Лада ₽"))
    }

    @Test("refusals with byte offsets", arguments: [
        ("", 0, "expected a value, found end of input"),
        ("  ", 2, "expected a value, found end of input"),
        ("{\"a\" 1}", 5, "expected ':' after an object key, found '1'"),
        ("{\"a\": 1,}", 8, "expected a string key, found '}'"),
        ("{\"a\": 1, \"a\": 2}", 9, "duplicate key \"a\""),
        ("[1 2]", 3, "expected ',' or ']' after an array element, found '2'"),
        ("[1,", 3, "expected a value, found end of input"),
        ("01", 0, "leading zeros are not allowed in a number"),
        ("-", 1, "expected a digit in a number"),
        ("1.", 2, "expected a digit after the decimal point"),
        ("1e+", 3, "expected a digit in the exponent"),
        ("tru", 0, "invalid literal; expected true"),
        ("\"abc", 0, "unterminated string"),
        ("\"a\nb\"", 2, "control character in a string; escape it"),
        ("\"\\x\"", 1, "invalid escape '\\x'"),
        ("\"\\u12\"", 5, "expected four hex digits after \\u"),
        ("\"\\ud800\"", 1, "unpaired surrogate in \\u escape"),
        ("\"\\udc00\"", 1, "unpaired surrogate in \\u escape"),
        ("1 2", 2, "unexpected '2' after the JSON value"),
        ("{} x", 3, "unexpected 'x' after the JSON value"),
    ] as [(String, Int, String)])
    func refusal(text: String, offset: Int, reason: String) {
        #expect(throws: SchemaJSONError(offset: offset, reason: reason)) { try SchemaJSON(parsing: text) }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: SchemaJSONError(offset: 1, reason: "invalid UTF-8 in a string")) {
            try SchemaJSON(parsing: [0x22, 0xFF, 0x22])
        }
    }

    @Test func deepNestingIsRefusedWithoutTrapping() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: SchemaJSONError(offset: 64, reason: "nesting deeper than 64")) { try SchemaJSON(parsing: deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try SchemaJSON(parsing: ok) }
    }

    @Test func canonicalEncoding() throws {
        let value = try SchemaJSON(parsing: #"{ "b": 1, "a": ["x\ty", "\u0001"], "é": null, "Z": "\/" }"#)
        #expect(value.canonicalText == #"{"Z":"/","a":["x\ty","\u0001"],"b":1,"é":null}"#)
        #expect(try SchemaJSON(parsing: value.canonicalText) == value)
        #expect(SchemaJSONError(offset: 3, reason: "x").description == "invalid JSON at byte 3: x")
    }

    @Test func integers() throws {
        #expect(try SchemaJSON(parsing: "9223372036854775807").int64Value == Int64.max)
        #expect(try SchemaJSON(parsing: "9223372036854775808").int64Value == nil)
        #expect(try SchemaJSON(parsing: "1.0").int64Value == nil)
        #expect(try SchemaJSON(parsing: "1e2").int64Value == nil)
    }
}
