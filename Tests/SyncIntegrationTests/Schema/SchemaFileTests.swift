import Testing
import DealCardKit

/// Dealer groups' schema files: what extension means, every refusal, and the
/// canonical encoding a relay hands to devices.
@Suite("Schema files")
struct SchemaFileTests {
    static let example = """
        {
          "version": 1,
          "name": "north-group",
          "fields": [
            {"path": "vehicle.warrantyYears", "type": "integer", "stage": "vehicle",
             "writers": ["buyer", "sales"], "title": "Extended warranty, years", "required": true},
            {"path": "payment.status", "values": ["captured", "chargeback"]},
            {"path": "tradeIn.appraisedValue", "writers": ["head"], "title": "Valuation"},
            {"path": "credit.applications", "fields": [{"name": "bank", "type": "text"},
              {"name": "decisionDate", "type": "date", "title": "Decision date"}]},
            {"path": "staff.bonus", "type": "money", "currency": "EUR", "stage": "assessment",
             "writers": ["head"], "document": "staff"},
            {"path": "staff.tags", "type": "list", "stage": "assessment", "writers": ["sales"],
             "fields": [{"name": "tag", "type": "enum", "values": ["vip", "fleet"]}]}
          ]
        }
        """

    func load(_ text: String) throws(SchemaError) -> DealSchema {
        try DealSchema(extending: .standard, file: Array(text.utf8))
    }

    @Test func extensionAddsFieldsValuesWritersAndSubFields() throws {
        let schema = try load(Self.example)
        #expect(schema.name == "north-group")
        #expect(schema.fields.count == DealSchema.standard.fields.count + 3)
        let warranty = try #require(schema.field("vehicle.warrantyYears"))
        #expect(warranty.type == .integer && warranty.isRequired && warranty.writers == [.buyer, .sales])
        #expect(schema.field("payment.status")?.type
            == .enumeration(values: ["none", "pending", "captured", "failed", "refunded", "chargeback"]))
        #expect(schema.field("tradeIn.appraisedValue")?.writers == [.appraiser, .head])
        #expect(schema.field("tradeIn.appraisedValue")?.title == "Valuation")
        #expect(schema.field("credit.applications")?.type.recordFields?.map(\.name)
            == ["bank", "status", "rate", "approvedAmount", "monthlyPayment", "decisionDate"])
        #expect(schema.field("staff.bonus")?.type == .money(currency: "EUR"))
        #expect(schema.canWrite(role: .head, path: "tradeIn.appraisedValue", document: .shared))
        #expect(schema.canWrite(role: .sales, path: "staff.tags.0.tag", document: .staff))
        #expect(!schema.canWrite(role: .sales, path: "staff.bonus", document: .staff))
    }

    @Test func encodingRoundTripsAndIsCanonical() throws {
        for schema in [DealSchema.standard, try load(Self.example)] {
            let bytes = schema.canonicalJSON
            let reread = try DealSchema(extending: .standard, file: bytes)
            #expect(reread == schema)
            #expect(reread.canonicalJSON == bytes)
        }
        let text = String(decoding: DealSchema.standard.canonicalJSON, as: UTF8.self)
        #expect(text.hasPrefix(#"{"fields":[{"document":"shared","path":"vehicle.model","required":true,"stage":"vehicle","title":"Model","type":"text","writers":["buyer","sales"]},"#))
        #expect(text.hasSuffix(#""name":"default","version":1}"#))
        #expect(text.contains(#"{"collaborative":true,"document":"staff","path":"staff.notes","required":false,"stage":"assessment","title":"Internal notes","type":"text","writers":["sales","appraiser","finance","cashier","head"]}"#))
    }

    /// Each broken file and the exact message it gets.
    static let refusals: [(String, String)] = [
        (#"{"version": 1, "fields": [{"path": "a.b", "type": "mony", "stage": "vehicle", "writers": []}]}"#,
         #"fields[0].type: unknown type "mony"; expected one of text, money, integer, date, enum, boolean, list"#),
        (#"{"version": 1, "fields": [}"#, "invalid JSON at byte 26: expected a value, found '}'"),
        (#"{"version": 1, "fields": []"#, "invalid JSON at byte 27: expected ',' or '}', found end of input"),
        ("", "invalid JSON at byte 0: expected a value, found end of input"),
        (#"[]"#, "expected a schema file (a JSON object), found an array"),
        (#"{"version": 1, "fields": [], "feilds": [], "extra": 1}"#,
         #"unknown keys "extra", "feilds"; expected version, name, fields"#),
        (#"{"version": 1, "fields": [], "nmae": "x"}"#,
         #"unknown key "nmae" (did you mean "name"?); expected version, name, fields"#),
        (#"{"fields": []}"#, #"missing key "version""#),
        (#"{"version": 2, "fields": []}"#, "version: unsupported version 2; this build reads version 1"),
        (#"{"version": "1", "fields": []}"#, "version: unsupported version \"1\"; this build reads version 1"),
        (#"{"version": 1}"#, #"missing key "fields""#),
        (#"{"version": 1, "fields": {}}"#, "fields: expected an array, found an object"),
        (#"{"version": 1, "fields": [7]}"#, "fields[0]: expected a field (a JSON object), found a number"),
        (#"{"version": 1, "fields": [{"path": "a.b", "typ": "text"}]}"#,
         #"fields[0]: unknown key "typ" (did you mean "type"?); expected path, type, stage, document, title, writers, required, currency, values, collaborative, fields"#),
        (#"{"version": 1, "fields": [{"type": "text"}]}"#, #"fields[0]: missing key "path""#),
        (#"{"version": 1, "fields": [{"path": "Vehicle.x"}]}"#,
         #"fields[0].path: invalid path "Vehicle.x": segment "Vehicle" must start with a lowercase letter and contain only letters and digits"#),
        (#"{"version": 1, "fields": [{"path": "vehicle"}]}"#,
         #"fields[0].path: invalid path "vehicle": expected at least two segments joined by '.', like "vehicle.model""#),
        (#"{"version": 1, "fields": [{"path": "vehicle.model", "title": "A"}, {"path": "vehicle.model", "title": "B"}]}"#,
         #"fields[1].path: duplicate path "vehicle.model" (also at fields[0])"#),
        (#"{"version": 1, "fields": [{"path": "vehicle.price", "type": "integer"}]}"#,
         "fields[0].type: redefines the built-in field vehicle.price as integer; it is money in RUB, and an extension may add writers, enum values and record sub-fields, or change title and required"),
        (#"{"version": 1, "fields": [{"path": "vehicle.price", "currency": "USD"}]}"#,
         #"fields[0].currency: changes the currency of vehicle.price to "USD"; it is RUB, and stored amounts would change meaning"#),
        (#"{"version": 1, "fields": [{"path": "vehicle.price", "stage": "payment"}]}"#,
         #"fields[0].stage: moves the built-in field vehicle.price to stage "payment"; it is in vehicle, and an extension may add writers, enum values and record sub-fields, or change title and required"#),
        (#"{"version": 1, "fields": [{"path": "staff.notes", "collaborative": false}]}"#,
         "fields[0].collaborative: changes how staff.notes is stored (collaborative text); an extension may add writers, enum values and record sub-fields, or change title and required"),
        (#"{"version": 1, "fields": [{"path": "vehicle.model", "values": ["a"]}]}"#,
         #"fields[0].values: only enum fields take "values"; vehicle.model is text"#),
        (#"{"version": 1, "fields": [{"path": "credit.applications", "fields": [{"name": "rate", "type": "text"}]}]}"#,
         "fields[0].fields[0].type: redefines the sub-field rate as text; it is integer"),
        (#"{"version": 1, "fields": [{"path": "vehicle.model", "writers": ["manager"]}]}"#,
         "fields[0].writers[0]: unknown role \"manager\"; expected one of buyer, sales, appraiser, finance, cashier, head, integration"),
        (#"{"version": 1, "fields": [{"path": "vehicle.model", "writers": "sales"}]}"#,
         "fields[0].writers: expected an array, found a string"),
        (#"{"version": 1, "fields": [{"path": "staff.notes", "writers": ["buyer"]}]}"#,
         "fields[0]: the buyer cannot write staff.notes: it is in the staff card, which a buyer never reads"),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "stage": "vehicle", "writers": ["sales"]}]}"#,
         #"fields[0]: missing key "type" for the new field vehicle.x"#),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "text", "stage": "showroom", "writers": ["sales"]}]}"#,
         #"fields[0].stage: unknown stage "showroom"; expected one of vehicle, tradeIn, credit, insurance, benefits, payment, delivery, documents, conversation, status, assessment"#),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "enum", "stage": "vehicle", "writers": ["sales"]}]}"#,
         #"fields[0]: an enum needs "values": a non-empty array of strings"#),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "enum", "values": ["a", "a"], "stage": "vehicle", "writers": ["sales"]}]}"#,
         #"fields[0].values[1]: duplicate value "a""#),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "money", "currency": "rub", "stage": "vehicle", "writers": ["sales"]}]}"#,
         #"fields[0].currency: invalid currency "rub"; expected a code of three capital letters like "RUB""#),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "list", "stage": "vehicle", "writers": ["sales"], "fields": [{"name": "y", "type": "list"}]}]}"#,
         "fields[0].fields[0].type: a record sub-field cannot be a list"),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "list", "stage": "vehicle", "writers": ["sales"], "fields": [{"name": "y", "type": "text"}, {"name": "y", "type": "date"}]}]}"#,
         #"fields[0].fields[1].name: duplicate sub-field "y""#),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "text", "stage": "vehicle", "writers": ["sales"], "document": "staff"}]}"#,
         #"fields[0].document: vehicle.x is in the shared card; staff-card paths, and only they, start with "staff.""#),
        (#"{"version": 1, "fields": [{"path": "vehicle.price.net", "type": "money", "stage": "vehicle", "writers": ["sales"]}]}"#,
         "fields[0].path: vehicle.price.net lies inside the field vehicle.price; a field cannot contain another"),
        (#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "text", "stage": "vehicle", "writers": ["sales"], "required": "yes"}]}"#,
         "fields[0].required: expected true or false, found a string"),
    ]

    @Test("refused files", arguments: refusals)
    func refused(file: String, message: String) {
        do {
            _ = try load(file)
            Issue.record("accepted: \(file)")
        } catch {
            #expect(error.description == message)
        }
    }
}
