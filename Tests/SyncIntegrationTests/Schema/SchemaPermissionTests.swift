import Testing
import DealCardKit

/// The write rules of the built-in schema, as a table of role × key field.
@Suite("Deal schema permissions")
struct SchemaPermissionTests {
    let schema = DealSchema.standard

    /// Who may write each key field; every other role must be refused.
    static let writers: [(path: String, roles: Set<Role>)] = [
        ("vehicle.model", [.buyer, .sales]),
        ("vehicle.price", [.sales]),
        ("tradeIn.description", [.buyer, .sales]),
        ("tradeIn.appraisedValue", [.appraiser]),
        ("credit.downPayment", [.buyer, .sales, .finance]),
        ("payment.status", [.cashier, .integration]),
        ("staff.notes", [.sales, .appraiser, .finance, .cashier, .head]),
        ("conversation.messages", Set(Role.allCases)),
        ("staff.discountApproved", [.head]),
        ("status.crmId", [.integration]),
    ]

    static let cases: [(String, Role, Bool)] = writers.flatMap { entry in
        Role.allCases.map { (entry.path, $0, entry.roles.contains($0)) }
    }

    @Test("role × field", arguments: cases)
    func writeRule(path: String, role: Role, allowed: Bool) {
        let document = DealDocumentKind.of(path: path)
        #expect(schema.canWrite(role: role, path: path, document: document) == allowed, "\(role) on \(path)")
    }

    @Test func refusalNamesRoleFieldAndRule() {
        #expect(throws: PermissionError.notAWriter(role: .buyer, path: "vehicle.price", writers: [.sales])) {
            try schema.checkWrite(role: .buyer, path: "vehicle.price", document: .shared)
        }
        let error = PermissionError.notAWriter(role: .buyer, path: "vehicle.price", writers: [.sales])
        #expect(error.description == "role buyer may not write vehicle.price (writers: sales)")
        let payment = PermissionError.notAWriter(role: .sales, path: "payment.status", writers: [.cashier, .integration])
        #expect(payment.description == "role sales may not write payment.status (writers: cashier, integration)")
    }

    @Test func unknownFieldsAreRefusedWithASuggestion() {
        #expect(throws: PermissionError.unknownField(path: "vehicle.prise", suggestion: "vehicle.price")) {
            try schema.checkWrite(role: .sales, path: "vehicle.prise", document: .shared)
        }
        #expect(PermissionError.unknownField(path: "vehicle.prise", suggestion: "vehicle.price").description
            == "unknown field vehicle.prise; did you mean vehicle.price?")
        #expect(throws: PermissionError.unknownField(path: "zzz.qqqqqqq", suggestion: nil)) {
            try schema.checkWrite(role: .sales, path: "zzz.qqqqqqq", document: .shared)
        }
        #expect(PermissionError.unknownField(path: "x.y", suggestion: nil).description == "unknown field x.y")
    }

    @Test func fieldsStayInTheirDocument() {
        #expect(throws: PermissionError.wrongDocument(path: "staff.notes", fieldDocument: .staff, target: .shared)) {
            try schema.checkWrite(role: .sales, path: "staff.notes", document: .shared)
        }
        #expect(throws: PermissionError.wrongDocument(path: "vehicle.price", fieldDocument: .shared, target: .staff)) {
            try schema.checkWrite(role: .sales, path: "vehicle.price", document: .staff)
        }
        #expect(PermissionError.wrongDocument(path: "staff.notes", fieldDocument: .staff, target: .shared).description
            == "staff.notes belongs to the staff card, not the shared card")
    }

    @Test func theBuyerNeverReadsTheStaffCard() {
        #expect(!schema.canRead(role: .buyer, document: .staff))
        #expect(schema.canRead(role: .buyer, document: .shared))
        for role in Role.allCases where role != .buyer {
            #expect(schema.canRead(role: role, document: .staff))
        }
        #expect(throws: PermissionError.documentNotReadable(role: .buyer, document: .staff)) {
            try schema.checkWrite(role: .buyer, path: "staff.notes", document: .staff)
        }
        #expect(PermissionError.documentNotReadable(role: .buyer, document: .staff).description
            == "role buyer may not read or write the staff card")
        #expect(schema.writableFields(for: .buyer, document: .staff).isEmpty)
    }

    @Test("paths below a list resolve to the list's rule", arguments: [
        ("credit.applications.0", true),
        ("credit.applications.3@phone-7", true),
        ("credit.applications.0.status", true),
        ("credit.applications.0.rate", true),
        ("credit.applications.0.colour", false),
        ("credit.applications.0.status.extra", false),
        ("credit.applications..status", false),
        ("vehicle.price.0", false),
        ("vehicle", false),
    ])
    func listSubPaths(target: String, resolves: Bool) {
        #expect((schema.resolve(target)?.path == "credit.applications") == resolves, "\(target)")
    }

    @Test func listSubPathsFollowTheListWriters() throws {
        try schema.checkWrite(role: .finance, path: "credit.applications.2.status", document: .shared)
        try schema.checkWrite(role: .integration, path: "credit.applications.2", document: .shared)
        #expect(throws: PermissionError.notAWriter(role: .buyer, path: "credit.applications.2.status", writers: [.finance, .integration])) {
            try schema.checkWrite(role: .buyer, path: "credit.applications.2.status", document: .shared)
        }
        let spec = try schema.checkWrite(role: .buyer, path: "conversation.messages.9.text", document: .shared)
        #expect(spec.path == "conversation.messages")
    }

    @Test func headWritesOnlySupervisorFields() {
        let paths = Set(schema.writableFields(for: .head, document: .shared).map(\.path))
            .union(schema.writableFields(for: .head, document: .staff).map(\.path))
        #expect(paths == [
            "benefits.discounts", "conversation.messages", "status.state", "status.lostReason",
            "status.assignedManager", "staff.benefitsMenu", "staff.discountApproved", "staff.margin",
            "staff.scoring", "staff.notes",
        ])
    }
}
