import DealCardKit
import Testing

/// Who may write the seven key fields, through `CardEditor`; a refusal writes nothing.
@Suite("Card permissions")
struct CardPermissionTests {
    /// The writers of each key path, written out from the roles of the deal card (README, protocol-spec/sync.md "Card documents and write rules")
    /// and the standard schema's comment (not read from the schema, so a changed rule fails here).
    static let writers: [String: Set<Role>] = [
        "vehicle.model": [.buyer, .sales],
        "vehicle.price": [.sales],
        "tradeIn.description": [.buyer, .sales],
        "tradeIn.appraisedValue": [.appraiser],
        "credit.downPayment": [.buyer, .sales, .finance],
        "payment.status": [.cashier, .integration],
        "staff.notes": [.sales, .appraiser, .finance, .cashier, .head],
    ]

    static let values: [String: FieldValue] = [
        "vehicle.model": .text("Lada Niva Travel"),
        "vehicle.price": CardValues.rub(233_000_000),
        "tradeIn.description": .text("Lada 2107, 2004, 180 000 km"),
        "tradeIn.appraisedValue": CardValues.rub(15_000_000),
        "credit.downPayment": CardValues.rub(30_000_000),
        "payment.status": .enumCase("captured"),
        "staff.notes": .text("Asked twice about KASKO"),
    ]

    static let paths = ["vehicle.model", "vehicle.price", "tradeIn.description", "tradeIn.appraisedValue",
                        "credit.downPayment", "payment.status", "staff.notes"]

    @Test("role × path", arguments: Role.allCases, paths)
    func roleWritesPath(role: Role, path: String) throws {
        let allowed = Self.writers[path]!.contains(role)
        let kind = DealDocumentKind.of(path: path)
        let device = CardDevice(7, user: "u-\(role.rawValue)", role: role)
        let value = Self.values[path]!
        do {
            let change = try device.set(path, value)
            #expect(allowed, "\(role.rawValue) wrote \(path)")
            #expect(change != nil)
            #expect(device.read(kind).values[path] == value)
        } catch let error as CardError {
            #expect(!allowed, "\(role.rawValue) was refused \(path): \(error)")
            guard case .permission(let permission) = error else {
                Issue.record("expected a permission error, got \(error)"); return
            }
            if role == .buyer && kind == .staff {
                #expect(permission == .documentNotReadable(role: .buyer, document: .staff))
            } else {
                #expect(permission == .notAWriter(role: role, path: path, writers: Role.allCases.filter { Self.writers[path]!.contains($0) }))
            }
            #expect(device.document.history.isEmpty, "a refused edit makes no change")
            #expect(try device.document.keys(.root).isEmpty)
            #expect(device.document.maxCounter == 0)
        }
        // The editor, the schema and the relay's validator give the same answer.
        #expect(DealSchema.standard.canWrite(role: role, path: path, document: kind) == allowed)
    }

    @Test func aRefusalInsideATransactionRollsBackTheEarlierEdits() throws {
        let buyer = CardDevice(1, user: "petrov", role: .buyer)
        try buyer.set("vehicle.color", .text("White"))
        let version = buyer.document.version
        let error = cardError {
            try buyer.edit { editor, document, tx in
                try editor.set("vehicle.model", .text("Vesta"), in: document, tx)
                try editor.set("vehicle.color", .text("Black"), in: document, tx)
                try editor.addRecord("vehicle.accessories", ["title": .text("Mats")], in: document, tx)
                try editor.set("vehicle.price", CardValues.rub(1), in: document, tx)
            }
        }
        #expect(error == .permission(.notAWriter(role: .buyer, path: "vehicle.price", writers: [.sales])))
        #expect(buyer.document.version == version)
        #expect(buyer.document.history.count == 1)
        #expect(buyer.read().values == ["vehicle.color": .text("White")], "every edit of the refused change is undone")
        // The document still works after the rollback.
        try buyer.set("vehicle.model", .text("Vesta"))
        #expect(buyer.read().values == ["vehicle.color": .text("White"), "vehicle.model": .text("Vesta")])
    }

    @Test func unknownFieldsAndRecordPermissions() throws {
        let buyer = CardDevice(1, user: "petrov", role: .buyer)
        #expect(cardError { try buyer.set("vehicle.modle", .text("x")) }
            == .permission(.unknownField(path: "vehicle.modle", suggestion: "vehicle.model")))
        #expect(cardError { try buyer.edit { e, d, tx in try e.addRecord("credit.applications", ["bank": .text("Sber")], in: d, tx) } }
            == .permission(.notAWriter(role: .buyer, path: "credit.applications", writers: [.finance, .integration])))
        #expect(cardError { try buyer.edit { e, d, tx in try e.clear("tradeIn.appraisedValue", in: d, tx) } }
            == .permission(.notAWriter(role: .buyer, path: "tradeIn.appraisedValue", writers: [.appraiser])))
        let head = CardDevice(2, user: "orlov", role: .head)
        #expect(cardError { try head.edit { e, d, tx in try e.removeRecord("insurance.drivers", at: 0, in: d, tx) } }
            == .permission(.notAWriter(role: .head, path: "insurance.drivers", writers: [.buyer, .sales, .finance])))
        #expect(buyer.document.history.isEmpty && head.document.history.isEmpty)
    }
}
