import Testing
import DealCardKit

/// The built-in schema has the paths other parts of the project rely on, and its
/// invariants hold.
@Suite("Built-in deal schema")
struct SchemaStandardTests {
    let schema = DealSchema.standard

    @Test("documented paths", arguments: [
        ("vehicle.model", "text", DealDocumentKind.shared),
        ("vehicle.price", "money", .shared),
        ("tradeIn.description", "text", .shared),
        ("tradeIn.appraisedValue", "money", .shared),
        ("credit.downPayment", "money", .shared),
        ("payment.status", "enum", .shared),
        ("staff.notes", "text", .staff),
    ])
    func documentedPath(path: String, type: String, document: DealDocumentKind) throws {
        let field = try #require(schema.field(path))
        #expect(field.type.name == type)
        #expect(field.document == document)
    }

    @Test func keyTypes() throws {
        #expect(try #require(schema.field("staff.notes")).type.isCollaborative)
        #expect(try #require(schema.field("vehicle.price")).isMoney)
        #expect(try #require(schema.field("vehicle.price")).type == .money(currency: "RUB"))
        #expect(try #require(schema.field("payment.status")).type
            == .enumeration(values: ["none", "pending", "captured", "failed", "refunded"]))
        #expect(try #require(schema.field("credit.applications")).type.recordFields?.map(\.name)
            == ["bank", "status", "rate", "approvedAmount", "monthlyPayment"])
    }

    @Test func everyStageHasFields() {
        for stage in Stage.allCases {
            #expect(!schema.fields.filter { $0.stage == stage }.isEmpty, "\(stage)")
        }
    }

    @Test func staffFieldsAreTheStaffPathsAndNoBuyerWritesThem() {
        for field in schema.fields {
            #expect((field.document == .staff) == field.path.hasPrefix("staff."))
            if field.document == .staff { #expect(!field.writers.contains(.buyer), "\(field.path)") }
            #expect(!field.writers.isEmpty, "\(field.path)")
        }
    }

    @Test func invalidDeclarationsAreRefused() {
        let price = FieldSpec("vehicle.price", .rubles, stage: .vehicle, writers: [.sales], title: "Price")
        #expect(throws: SchemaError(at: "fields[1].path", "duplicate path \"vehicle.price\" (also at fields[0])")) {
            try DealSchema(name: "x", fields: [price, price])
        }
        let inner = FieldSpec("vehicle.price.net", .rubles, stage: .vehicle, writers: [.sales], title: "Net")
        #expect(throws: SchemaError(at: "fields[1].path", "vehicle.price.net lies inside the field vehicle.price; a field cannot contain another")) {
            try DealSchema(name: "x", fields: [price, inner])
        }
        let buyerOnStaff = FieldSpec("staff.secret", .text, stage: .assessment, writers: [.buyer], title: "S")
        #expect(throws: SchemaError(at: "fields[0]", "the buyer cannot write staff.secret: it is in the staff card, which a buyer never reads")) {
            try DealSchema(name: "x", fields: [buyerOnStaff])
        }
        let emptyEnum = FieldSpec("status.kind", .enumeration(values: []), stage: .status, writers: [.sales], title: "K")
        #expect(throws: SchemaError(at: "fields[0]", "an enum needs at least one value")) {
            try DealSchema(name: "x", fields: [emptyEnum])
        }
    }

    @Test("path syntax", arguments: [
        ("vehicle.model", nil),
        ("staff.benefitsMenu2", nil),
        ("vehicle", "expected at least two segments joined by '.', like \"vehicle.model\""),
        ("vehicle..model", "empty segment"),
        ("Vehicle.model", "segment \"Vehicle\" must start with a lowercase letter and contain only letters and digits"),
        ("vehicle.model-x", "segment \"model-x\" must start with a lowercase letter and contain only letters and digits"),
        ("vehicle.2door", "segment \"2door\" must start with a lowercase letter and contain only letters and digits"),
        ("a." + String(repeating: "b", count: 127), "longer than 128 bytes"),
    ] as [(String, String?)])
    func pathSyntax(path: String, problem: String?) {
        #expect(FieldPath.problem(with: path) == problem)
    }

    @Test func fieldSpecParsesItsOwnValues() throws {
        let downPayment = try #require(DealSchema.standard.field("credit.downPayment"))
        #expect(try downPayment.value(parsing: "300 000") == .money(minorUnits: 30_000_000, currency: "RUB"))
        #expect(try downPayment.value(json: .string("1,5")) == .money(minorUnits: 150, currency: "RUB"))
        #expect(throws: FieldValueError(path: "credit.downPayment", expected: "an amount of RUB like \"300 000\" or \"300000.50\"", found: "\"lots\"")) {
            try downPayment.value(parsing: "lots")
        }
    }

    @Test func wireNamesOfRolesChannelsAndDocuments() {
        #expect(Role.allCases.map(\.rawValue) == ["buyer", "sales", "appraiser", "finance", "cashier", "head", "integration"])
        #expect(Channel.allCases.map(\.rawValue) == ["web", "kiosk", "tablet", "pc", "phone", "integration"])
        #expect(DealDocumentKind.allCases.map(\.rawValue) == ["shared", "staff"])
        #expect(Role.allCases.filter { !$0.isStaff } == [.buyer])
        #expect(DealDocumentKind.of(path: "staff.notes") == .staff)
        #expect(DealDocumentKind.of(path: "staffing.x") == .shared)
    }
}
