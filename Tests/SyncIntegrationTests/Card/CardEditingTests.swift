import CRDT
import DealCardKit
import Testing

/// Typed edits through `CardEditor`, read back through `CardReader`, and how they are
/// stored (`CardCodec`: one root key per field path).
@Suite("Card editing")
struct CardEditingTests {
    /// One field of each scalar type, the value set, and the scalar stored under the path.
    static let scalarCases: [(path: String, value: FieldValue, stored: ScalarValue)] = [
        ("vehicle.model", .text("Niva Travel"), .string("Niva Travel")),
        ("vehicle.price", CardValues.rub(233_000_000), .int(233_000_000)),
        ("credit.termMonths", .integer(36), .int(36)),
        ("delivery.date", CardValues.date("2025-07-01"), .string("2025-07-01")),
        ("payment.method", .enumCase("credit"), .string("credit")),
        ("payment.booking", .boolean(true), .bool(true)),
    ]

    @Test("scalar round trip", arguments: scalarCases)
    func scalarRoundTrip(path: String, value: FieldValue, stored: ScalarValue) throws {
        let sales = CardDevice(1, user: "ivanova", role: .sales)
        let change = try #require(try sales.set(path, value))
        #expect(change.ops == [Op(object: .root, action: .set(.map(path), .scalar(stored), pred: []))])
        #expect(try sales.document.keys(.root) == [path], "one root key per field path")
        #expect(sales.read().values == [path: value])
        #expect(sales.read().conflicts.isEmpty)

        // Overwriting supersedes the first value (pred names it) and reads back the new one.
        let replacement: FieldValue = switch value {
        case .text: .text("Vesta")
        case .money: CardValues.rub(1)
        case .integer: .integer(48)
        case .date: CardValues.date("2024-02-29")
        case .enumCase: .enumCase("cash")
        default: .boolean(false)
        }
        let second = try #require(try sales.set(path, replacement))
        guard case .set(_, _, let pred) = second.ops.first?.action else { Issue.record("expected a set"); return }
        #expect(pred == [OpID(counter: change.startOp, replica: change.replica)])
        #expect(sales.read().values == [path: replacement])

        // A replica that receives the changes reads the same.
        let other = Document(replica: ReplicaID(2), changes: sales.document.history)
        #expect(CardReader(schema: .standard).read(other, kind: .shared).values == [path: replacement])
    }

    @Test func clearDeletesTheKey() throws {
        let buyer = CardDevice(1, user: "petrov", role: .buyer)
        try buyer.set("vehicle.color", .text("White"))
        let change = try #require(try buyer.edit { editor, document, tx in try editor.clear("vehicle.color", in: document, tx) })
        #expect(change.ops.count == 1)
        #expect(buyer.read().values["vehicle.color"] == nil)
        #expect(try buyer.document.keys(.root).isEmpty)
        let again = try buyer.edit { editor, document, tx in try editor.clear("vehicle.color", in: document, tx) }
        #expect(again == nil, "clearing an empty field makes no change")
    }

    @Test func listSetAddRemoveClear() throws {
        let buyer = CardDevice(1, user: "petrov", role: .buyer)
        let reader = buyer.reader
        let mats = CardValues.accessory("Floor mats", 1, 1_500_000)
        let rack = CardValues.accessory("Roof rack", 1, 2_400_000)
        let tyres = CardValues.accessory("Winter tyres", 4, 3_200_000)

        try buyer.set("vehicle.accessories", .list([mats, rack]))
        #expect(buyer.read().values["vehicle.accessories"] == .list([mats, rack]))
        let list = try #require(try buyer.document.get(.root, "vehicle.accessories"))
        guard case .object(let listID, .list) = list else { Issue.record("expected a list object, got \(list)"); return }
        #expect(try buyer.document.length(listID) == 2)
        guard case .object(let first, .map)? = try buyer.document.get(listID, at: 0) else { Issue.record("expected a map record"); return }
        #expect(try buyer.document.get(first, "price") == .scalar(.int(1_500_000)), "money sub-fields are minor units")
        #expect(try buyer.document.get(first, "quantity") == .scalar(.int(1)))

        var index = -1
        try buyer.edit { editor, document, tx in
            index = try editor.addRecord("vehicle.accessories", ["title": .text("Winter tyres"), "quantity": .integer(4),
                                                                 "price": CardValues.rub(3_200_000)], in: document, tx)
        }
        #expect(index == 2)
        #expect(buyer.read().values["vehicle.accessories"] == .list([mats, rack, tyres]))

        try buyer.edit { editor, document, tx in try editor.removeRecord("vehicle.accessories", at: 1, in: document, tx) }
        #expect(buyer.read().values["vehicle.accessories"] == .list([mats, tyres]))

        // Setting the whole list replaces every record, in the same list object.
        let change = try #require(try buyer.set("vehicle.accessories", .list([rack])))
        #expect(change.ops.filter { if case .delete = $0.action { true } else { false } }.count == 2)
        #expect(try buyer.document.get(.root, "vehicle.accessories") == list, "the list object is kept")
        #expect(buyer.read().values["vehicle.accessories"] == .list([rack]))
        let spec = try #require(DealSchema.standard.field("vehicle.accessories"))
        #expect(reader.records(of: spec, in: buyer.document) == [rack])

        // A record with some sub-fields unset reads back without them.
        try buyer.edit { editor, document, tx in try editor.addRecord("vehicle.accessories", ["title": .text("Mud flaps")], in: document, tx) }
        #expect(buyer.read().values["vehicle.accessories"] == .list([rack, .record(["title": .text("Mud flaps")])]))

        try buyer.set("vehicle.accessories", .list([]))
        #expect(buyer.read().values["vehicle.accessories"] == nil, "an empty list reads as unset")
        try buyer.set("vehicle.accessories", .list([mats]))
        try buyer.edit { editor, document, tx in try editor.clear("vehicle.accessories", in: document, tx) }
        #expect(buyer.read().values["vehicle.accessories"] == nil)
        #expect(try buyer.document.get(.root, "vehicle.accessories") == nil)
    }

    @Test func recordEditErrors() throws {
        let buyer = CardDevice(1, user: "petrov", role: .buyer)
        try buyer.set("vehicle.accessories", .list([CardValues.accessory("Floor mats", 1, 1_500_000)]))
        let before = buyer.document.history.count

        #expect(cardError { try buyer.edit { e, d, tx in try e.addRecord("vehicle.accessories", ["colour": .text("red")], in: d, tx) } }
            == .unknownRecordField(path: "vehicle.accessories", field: "colour", known: ["title", "quantity", "price"]))
        #expect(cardError { try buyer.edit { e, d, tx in try e.addRecord("vehicle.accessories", ["quantity": .text("two")], in: d, tx) } }
            == .invalidValue(FieldValueError(path: "vehicle.accessories.quantity", expected: FieldType.integer.expectation, found: "two")))
        #expect(cardError { try buyer.edit { e, d, tx in try e.addRecord("vehicle.model", ["title": .text("x")], in: d, tx) } }
            == .wrongFieldKind(path: "vehicle.model", expected: "list", actual: "text"))
        #expect(cardError { try buyer.edit { e, d, tx in try e.removeRecord("vehicle.accessories", at: 1, in: d, tx) } }
            == .noSuchRecord(path: "vehicle.accessories", index: 1, count: 1))
        #expect(cardError { try buyer.edit { e, d, tx in try e.removeRecord("vehicle.accessories", at: -1, in: d, tx) } }
            == .noSuchRecord(path: "vehicle.accessories", index: -1, count: 1))
        #expect(cardError { try buyer.edit { e, d, tx in try e.removeRecord("vehicle.model", at: 0, in: d, tx) } }
            == .wrongFieldKind(path: "vehicle.model", expected: "list", actual: "text"))
        #expect(cardError { try buyer.set("vehicle.accessories", .list([.text("mats")])) } != nil)
        #expect(buyer.document.history.count == before, "refused edits make no change")
    }

    @Test func illTypedValuesAreRefusedBeforeWriting() throws {
        let sales = CardDevice(1, user: "ivanova", role: .sales)
        let cases: [(String, FieldValue)] = [
            ("vehicle.price", .text("300000")),
            ("vehicle.price", .money(minorUnits: 100, currency: "USD")),
            ("payment.method", .enumCase("barter")),
            ("credit.termMonths", CardValues.rub(36)),
            ("payment.booking", .text("yes")),
            ("delivery.date", .text("2025-07-01")),
            ("vehicle.model", .list([])),
            ("staff.notes", .integer(1)),
        ]
        for (path, value) in cases {
            let error = cardError { try sales.set(path, value) }
            guard case .invalidValue(let problem)? = error else {
                Issue.record("\(path) = \(value): expected invalidValue, got \(String(describing: error))")
                continue
            }
            #expect(problem.path == path)
            #expect(problem.expected == DealSchema.standard.field(path)!.type.expectation)
        }
        #expect(sales.document.history.isEmpty)
        #expect(try sales.document.keys(.root).isEmpty)
    }

    /// `FieldValue.conforms(to:)` accepts a single `.record` for a list type (it is how a record
    /// is checked). Regression: `set` let it through and force-unwrapped `CardCodec.scalar`.
    @Test func settingOneRecordOnAListFieldThrowsInsteadOfTrapping() async {
        do {
            await #expect(processExitsWith: .success) {
                let document = Document(replica: ReplicaID(1))
                let editor = CardEditor(schema: .standard, role: .sales)
                do {
                    try document.change { tx in
                        try editor.set("vehicle.accessories", .record(["title": .text("Mats")]), in: document, tx)
                    }
                } catch {}
            }
        }
    }

    @Test func skipAndResume() throws {
        let buyer = CardDevice(1, user: "petrov", role: .buyer)
        try buyer.set("tradeIn.description", .text("Lada 2107, 2004"))
        let skip = try #require(try buyer.edit { e, d, tx in try e.skip(.tradeIn, true, document: .shared, in: d, tx) })
        #expect(skip.ops == [Op(object: .root, action: .set(.map("$skipped.tradeIn"), .scalar(.bool(true)), pred: []))])
        #expect(buyer.read().skipped == [.tradeIn])
        #expect(buyer.read().values["tradeIn.description"] == .text("Lada 2107, 2004"), "values are kept")
        try buyer.edit { e, d, tx in try e.skip(.tradeIn, false, document: .shared, in: d, tx) }
        #expect(buyer.read().skipped.isEmpty)
        #expect(try buyer.document.get(.root, "$skipped.tradeIn") == nil)
        #expect(try buyer.edit { e, d, tx in try e.skip(.tradeIn, false, document: .shared, in: d, tx) } == nil,
                "resuming a stage that is not skipped makes no change")

        #expect(cardError { try buyer.edit { e, d, tx in try e.skip(.status, true, document: .shared, in: d, tx) } }
            == .cannotSkip(role: .buyer, stage: .status))
        #expect(cardError { try buyer.edit { e, d, tx in try e.skip(.assessment, true, document: .staff, in: d, tx) } }
            == .cannotSkip(role: .buyer, stage: .assessment))
        let appraiser = CardDevice(2, user: "sidorov", role: .appraiser)
        #expect(cardError { try appraiser.edit { e, d, tx in try e.skip(.vehicle, true, document: .shared, in: d, tx) } }
            == .cannotSkip(role: .appraiser, stage: .vehicle))
        try appraiser.edit { e, d, tx in try e.skip(.tradeIn, true, document: .shared, in: d, tx) }
        #expect(appraiser.read().skipped == [.tradeIn])
    }

    @Test func collaborativeTextSplicesOnlyTheChangedMiddle() throws {
        let sales = CardDevice(1, user: "ivanova", role: .sales)
        let first = try #require(try sales.set("staff.notes", .text("Buyer wants winter tyres, pays cash.")))
        #expect(first.ops.count == 2, "create the text object, insert the text")
        #expect(sales.read(.staff).values["staff.notes"] == .text("Buyer wants winter tyres, pays cash."))
        guard case .object(let notes, .text)? = try sales.document.get(.root, "staff.notes") else {
            Issue.record("staff.notes is not a text object"); return
        }

        let edit = try #require(try sales.set("staff.notes", .text("Buyer wants summer tyres, pays cash.")))
        #expect(edit.ops.count == 2, "one deletion run and one insertion: \(edit.ops)")
        guard edit.ops.count == 2, case .deleteRun(let start, let count) = edit.ops[0].action,
              case .insertText(let after, let scalars) = edit.ops[1].action else {
            Issue.record("unexpected ops \(edit.ops)"); return
        }
        // "winter" and "summer" share their last two letters: only "wint" is replaced.
        #expect(count == 4)
        #expect(start == OpID(counter: first.startOp + 1 + 12, replica: ReplicaID(1)), "the deleted run starts at \"winter\"")
        #expect(String(String.UnicodeScalarView(scalars)) == "summ")
        #expect(after == OpID(counter: first.startOp + 1 + 11, replica: ReplicaID(1)), "inserted after \"wants \"")
        #expect(try sales.document.get(.root, "staff.notes") == .object(notes, .text), "the same text object")
        #expect(sales.read(.staff).values["staff.notes"] == .text("Buyer wants summer tyres, pays cash."))

        // Pure insertion and pure deletion make one op; the same text makes none.
        let insertion = try #require(try sales.set("staff.notes", .text("Buyer wants summer tyres, pays cash. Call after 6.")))
        #expect(insertion.ops.count == 1)
        // "summer " spans two runs (the "summ" typed in the second change), so it is deleted
        // as two runs, and nothing is inserted.
        let deletion = try #require(try sales.set("staff.notes", .text("Buyer wants tyres, pays cash. Call after 6.")))
        let deleted = deletion.ops.map { op -> UInt64 in if case .deleteRun(_, let count) = op.action { count } else { 1_000 } }
        #expect(deleted == [4, 3])
        #expect(try sales.set("staff.notes", .text("Buyer wants tyres, pays cash. Call after 6.")) == nil)
        // Non-ASCII text is spliced by Unicode scalars.
        try sales.set("staff.notes", .text("Покупатель хочет шины 🚗, платит наличными."))
        let cyrillic = try #require(try sales.set("staff.notes", .text("Покупатель хочет диски 🚗, платит наличными.")))
        #expect(cyrillic.ops.count == 2)
        #expect(sales.read(.staff).values["staff.notes"] == .text("Покупатель хочет диски 🚗, платит наличными."))

        // Concurrent edits of different words both survive.
        let finance = CardDevice(2, user: "kozlova", role: .finance, document: sales.document)
        try sales.set("staff.notes", .text("Покупатель хочет диски 🚗, платит картой."))
        try finance.set("staff.notes", .text("Клиент хочет диски 🚗, платит наличными."))
        cardExchange(sales.document, finance.document)
        #expect(sales.read(.staff).values["staff.notes"] == .text("Клиент хочет диски 🚗, платит картой."))
        #expect(finance.read(.staff).values == sales.read(.staff).values)
    }
}
