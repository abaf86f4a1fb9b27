import CRDT
import DealCardKit
import Testing
import TestSupport

/// The relay's write rules (`ChangeValidator`): what `CardEditor` makes passes them for the
/// same role, and forged changes are refused with the right code and path.
@Suite("Card change validator")
struct CardValidatorTests {
    static var validator: ChangeValidator { ChangeValidator(schema: .standard) }

    // MARK: Everything the editor makes passes

    /// Random edits by every role on both documents, with devices that sometimes edit before
    /// syncing (so containers are created concurrently). Each change is validated by the
    /// relay against its own copy before being applied there.
    @Test("editor changes pass validation", arguments: RepeatableRandom.seeds(pinned: [1, 2, 3, 42, 2025], countVariable: "CARD_FUZZ_SEEDS"))
    func editorChangesPassValidation(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let schema = DealSchema.standard
        for kind in DealDocumentKind.allCases {
            let relay = Document(replica: ReplicaID(0xFFFF))
            let roles = Role.allCases.filter { schema.canRead(role: $0, document: kind) }
            let devices = roles.enumerated().map { index, role in
                CardDevice(UInt64(0x100 + index), user: "u-\(role.rawValue)", role: role, channel: random.pick(Channel.allCases))
            }
            var validated = 0
            for step in 0..<60 {
                let device = random.pick(devices)
                if random.chance(75) { device.document.apply(relay.changes(since: device.document.version)) }
                let edits = random.int(1..<4)
                let change = try device.edit(at: CardTime.minutes(Int64(step))) { editor, document, tx in
                    for _ in 0..<edits { try Self.randomEdit(editor, kind: kind, document, tx, &random) }
                }
                guard let change else { continue }
                let refusal = cardRefusal { try Self.validator.validate(change, role: device.author.role, kind: kind, in: relay) }
                #expect(refusal == nil, "seed \(seed), \(kind) step \(step), \(device.author.role): \(String(describing: refusal))")
                #expect(cardRefusal {
                    try Self.validator.validateAuthor(change, user: device.author.user, role: device.author.role, device: device.author.device)
                } == nil)
                let report = relay.apply([change])
                #expect(report.refused.isEmpty && report.pending.isEmpty, "seed \(seed): \(report)")
                validated += 1
            }
            #expect(validated > 30, "seed \(seed): most steps make a change")
            // Every device converges with the relay and reads the same card.
            let reader = CardReader(schema: schema)
            for device in devices {
                device.document.apply(relay.changes(since: device.document.version))
                #expect(device.document.version == relay.version)
                #expect(reader.read(device.document, kind: kind).values == reader.read(relay, kind: kind).values)
            }
        }
    }

    /// One random edit the role may make in a document of `kind`; refusals the editor
    /// reports for an impossible edit (an index out of range) are skipped.
    static func randomEdit(_ editor: CardEditor, kind: DealDocumentKind, _ document: Document, _ tx: Transaction,
                           _ random: inout RepeatableRandom) throws {
        let fields = editor.schema.writableFields(for: editor.role, document: kind)
        guard !fields.isEmpty else { return }
        let lists = fields.filter { $0.type.recordFields != nil }
        let roll = random.int(0..<100)
        if roll < 45 {
            let field = random.pick(fields)
            let old = CardReader(schema: editor.schema).read(document, kind: kind).values[field.path]
            try editor.set(field.path, randomValue(field.type, old: old, &random), in: document, tx)
        } else if roll < 65, !lists.isEmpty {
            let field = random.pick(lists)
            guard case .record(let record) = randomRecord(field.type.recordFields!, &random) else { return }
            try editor.addRecord(field.path, record, in: document, tx)
        } else if roll < 78, !lists.isEmpty {
            let field = random.pick(lists)
            let count = CardReader(schema: editor.schema).records(of: field, in: document).count
            guard count > 0 else { return }
            try editor.removeRecord(field.path, at: random.int(0..<count), in: document, tx)
        } else if roll < 86 {
            try editor.clear(random.pick(fields).path, in: document, tx)
        } else if roll < 96 {
            let stages = Array(Set(fields.map(\.stage))).sorted { $0.rawValue < $1.rawValue }
            try editor.skip(random.pick(stages), random.chance(60), document: kind, in: document, tx)
        } else {
            try editor.createContainers(document: kind, in: document, tx)
        }
    }

    static let words = ["Niva", "Vesta", "white", "Luxe", "Sber", "VTB", "Ингосстрах", "мат", "🚗", "a b", ""]

    static func randomValue(_ type: FieldType, old: FieldValue?, _ random: inout RepeatableRandom) -> FieldValue {
        switch type {
        case .text(collaborative: true):
            var text = Array((old?.displayText ?? "").unicodeScalars)
            let at = random.int(0..<(text.count + 1))
            let cut = random.int(0..<(text.count - at + 1))
            text.replaceSubrange(at..<(at + cut), with: random.pick(words).unicodeScalars)
            return .text(String(String.UnicodeScalarView(text)))
        case .text: return .text(random.pick(words) + String(random.int(0..<100)))
        case .money(let currency): return .money(minorUnits: Int64(random.int(0..<1_000_000)) * 100, currency: currency)
        case .integer: return .integer(Int64(random.int(-10..<5000)))
        case .date: return .date(CalendarDate(year: random.int(1990..<2030), month: random.int(1..<13), day: random.int(1..<29))!)
        case .enumeration(let values): return .enumCase(random.pick(values))
        case .boolean: return .boolean(random.chance(50))
        case .list(let fields): return .list((0..<random.int(0..<3)).map { _ in randomRecord(fields, &random) })
        }
    }

    static func randomRecord(_ fields: [RecordField], _ random: inout RepeatableRandom) -> FieldValue {
        var record: [String: FieldValue] = [:]
        for field in fields where random.chance(70) { record[field.name] = randomValue(field.type, old: nil, &random) }
        return .record(record)
    }

    // MARK: Forged changes

    /// A change made on a scratch fork of `base` (replica 0xF0) with raw engine edits or an
    /// editor of a role that may make them; `base` itself is left as it was.
    static func forge(on base: Document, role: Role = .head, _ body: (CardEditor, Document, Transaction) throws -> Void) throws -> Change {
        let scratch = base.fork(as: ReplicaID(0xF0))
        let editor = CardEditor(schema: .standard, role: role)
        let author = ChangeAuthor(user: "mallory", role: role, device: "d-1", channel: .web, time: CardTime.start)
        return try #require(try scratch.change(metadata: author.encoded()) { tx in try body(editor, scratch, tx) })
    }

    /// A change of `ops` by replica 0xF0 that follows everything in `base`.
    static func forged(_ ops: [Op], on base: Document) -> Change {
        var deps = base.version
        deps[ReplicaID(0xF0)] = 0
        return Change(replica: ReplicaID(0xF0), seq: 1, startOp: base.maxCounter + 1, deps: deps,
                      metadata: ChangeAuthor(user: "mallory", role: .buyer, device: "d-1", channel: .web, time: 0).encoded(), ops: ops)
    }

    func refusal(_ change: Change, _ role: Role, _ kind: DealDocumentKind = .shared, in document: Document) -> WriteRefusal? {
        cardRefusal { try Self.validator.validate(change, role: role, kind: kind, in: document) }
    }

    /// A shared card with an accessory and a bank application, and a staff card with notes.
    static func base() throws -> (shared: Document, staff: Document, accessory: ObjectID, application: ObjectID) {
        let sales = CardDevice(0x50, user: "ivanova", role: .sales)
        let finance = CardDevice(0x70, user: "kozlova", role: .finance)
        try sales.edit { e, d, tx in _ = try e.addRecord("vehicle.accessories", ["title": .text("Mats")], in: d, tx) }
        finance.document.apply(sales.document.history)
        try finance.edit { e, d, tx in _ = try e.addRecord("credit.applications", ["bank": .text("Sber"), "status": .enumCase("sent")], in: d, tx) }
        let shared = finance.document
        let staff = CardDevice(0x51, user: "ivanova", role: .sales)
        try staff.set("staff.notes", .text("Call after 6"))
        let reader = CardReader(schema: .standard)
        let accessory = reader.locatedRecords(of: DealSchema.standard.field("vehicle.accessories")!, in: shared)[0].object
        let application = reader.locatedRecords(of: DealSchema.standard.field("credit.applications")!, in: shared)[0].object
        return (shared, staff.document, accessory, application)
    }

    @Test func aBuyerSettingThePriceIsRefused() throws {
        let deal = try Self.base()
        let change = try Self.forge(on: deal.shared, role: .sales) { e, d, tx in try e.set("vehicle.price", CardValues.rub(1), in: d, tx) }
        #expect(refusal(change, .sales, in: deal.shared) == nil)
        let refused = refusal(change, .buyer, in: deal.shared)
        #expect(refused?.code == .permission)
        #expect(refused?.path == "vehicle.price")
        #expect(refused?.reason == "role buyer may not write vehicle.price (writers: sales)")
        // Clearing it is a write too.
        let clear = Self.forged([Op(object: .root, action: .delete(.map("vehicle.price"), pred: []))], on: deal.shared)
        #expect(refusal(clear, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "vehicle.price"])
    }

    @Test func aBuyerWritingTheStaffCardIsRefused() throws {
        let deal = try Self.base()
        let margin = try Self.forge(on: deal.staff, role: .sales) { e, d, tx in try e.set("staff.margin", CardValues.rub(1), in: d, tx) }
        #expect(refusal(margin, .sales, .staff, in: deal.staff) == nil)
        #expect(refusal(margin, .buyer, .staff, in: deal.staff).map { [$0.code.rawValue, $0.path] } == ["permission", nil])
        let notes = try Self.forge(on: deal.staff, role: .sales) { e, d, tx in try e.set("staff.notes", .text("Call after 7"), in: d, tx) }
        #expect(refusal(notes, .buyer, .staff, in: deal.staff)?.code == .permission)
        // A staff field written into the shared card is refused for everyone.
        let misplaced = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(.root, "staff.margin", .int(100)) }
        for role in Role.allCases {
            #expect(refusal(misplaced, role, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "staff.margin"], "\(role)")
        }
    }

    @Test func scalarsOfTheWrongTypeAreRefused() throws {
        let deal = try Self.base()
        let cases: [(String, ScalarValue)] = [
            ("credit.downPayment", .string("300000")),
            ("credit.downPayment", .double(300000)),
            ("payment.method", .string("barter")),
            ("payment.method", .int(1)),
            ("credit.termMonths", .string("36")),
            ("payment.booking", .int(1)),
            ("delivery.date", .string("2025-02-30")),
            ("vehicle.model", .null),
            ("tradeIn.year", .counter(2004)),
            ("credit.employer", .bytes([0x41])),
        ]
        for (path, scalar) in cases {
            let change = Self.forged([Op(object: .root, action: .set(.map(path), .scalar(scalar), pred: []))], on: deal.shared)
            let writer = try #require(DealSchema.standard.field(path)?.orderedWriters.first)
            let refused = refusal(change, writer, in: deal.shared)
            #expect(refused?.code == .invalidValue, "\(path) = \(scalar)")
            #expect(refused?.path == path)
        }
        // Inside a record: an enum value not in the list, a string for money.
        let status = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(deal.application, "status", "maybe") }
        #expect(refusal(status, .finance, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["invalid_value", "credit.applications.status"])
        let amount = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(deal.application, "approvedAmount", "2 000 000") }
        #expect(refusal(amount, .finance, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["invalid_value", "credit.applications.approvedAmount"])
        // The right types pass.
        let fine = try Self.forge(on: deal.shared) { _, _, tx in
            try tx.put(deal.application, "status", "approved")
            try tx.put(deal.application, "approvedAmount", .int(200_000_000))
            try tx.delete(deal.application, "bank")
        }
        #expect(refusal(fine, .finance, in: deal.shared) == nil)
        #expect(refusal(fine, .integration, in: deal.shared) == nil)
        #expect(refusal(fine, .sales, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "credit.applications"])
    }

    @Test func objectsWhereScalarsBelongAreRefused() throws {
        let deal = try Self.base()
        let map = try Self.forge(on: deal.shared) { _, _, tx in try tx.putObject(.root, "vehicle.model", .map) }
        #expect(refusal(map, .sales, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.model"])
        let text = try Self.forge(on: deal.shared) { _, _, tx in try tx.putObject(.root, "vehicle.model", .text) }
        #expect(refusal(text, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.model"])
        let listAsText = try Self.forge(on: deal.staff) { _, _, tx in try tx.putObject(.root, "staff.notes", .list) }
        #expect(refusal(listAsText, .sales, .staff, in: deal.staff).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "staff.notes"])
        let inRecord = try Self.forge(on: deal.shared) { _, _, tx in try tx.putObject(deal.accessory, "title", .text) }
        #expect(refusal(inRecord, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.accessories"])
        // A list takes record maps only.
        let scalarElement = try Self.forge(on: deal.shared) { _, d, tx in
            try tx.insert(d.get(.root, "vehicle.accessories")!.objectID!, at: 0, "Mats")
        }
        #expect(refusal(scalarElement, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.accessories"])
        let nestedList = try Self.forge(on: deal.shared) { _, d, tx in
            try tx.insertObject(d.get(.root, "vehicle.accessories")!.objectID!, at: 1, .list)
        }
        #expect(refusal(nestedList, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.accessories"])
        // A collaborative text takes text edits only: a map inside a text is not one.
        let notes = try #require(try deal.staff.get(.root, "staff.notes")?.objectID)
        let onText = Self.forged([Op(object: notes, action: .set(.map("x"), .scalar(1), pred: []))], on: deal.staff)
        #expect(refusal(onText, .sales, .staff, in: deal.staff).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "staff.notes"])
    }

    @Test func recordSubFieldsThatDoNotExistAreRefused() throws {
        let deal = try Self.base()
        let colour = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(deal.accessory, "colour", "red") }
        #expect(refusal(colour, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["invalid_value", "vehicle.accessories"])
        let deletion = Self.forged([Op(object: deal.accessory, action: .delete(.map("colour"), pred: []))], on: deal.shared)
        #expect(refusal(deletion, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["invalid_value", "vehicle.accessories"])
        // In a record created in the same change too.
        let fresh = try Self.forge(on: deal.shared) { _, d, tx in
            let list = try d.get(.root, "vehicle.accessories")!.objectID!
            let record = try tx.insertObject(list, at: 1, .map)
            try tx.put(record, "title", "Rack")
            try tx.put(record, "vendor", "Thule")
        }
        #expect(refusal(fresh, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["invalid_value", "vehicle.accessories"])
    }

    @Test func incrementsAreRefused() throws {
        let deal = try Self.base()
        let counter = OpID(counter: 1, replica: ReplicaID(0x50))
        let root = Self.forged([Op(object: .root, action: .increment(.map("tradeIn.year"), counter: counter, by: 1))], on: deal.shared)
        #expect(refusal(root, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", nil])
        let inRecord = Self.forged([Op(object: deal.accessory, action: .increment(.map("quantity"), counter: counter, by: 1))], on: deal.shared)
        #expect(refusal(inRecord, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.accessories"])
        let list = try #require(try deal.shared.get(.root, "vehicle.accessories")?.objectID)
        let inList = Self.forged([Op(object: list, action: .increment(.element(deal.accessory.op), counter: counter, by: 1))], on: deal.shared)
        #expect(refusal(inList, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["bad_structure", "vehicle.accessories"])
    }

    @Test func opsOnUnknownObjectsAreRefused() throws {
        let deal = try Self.base()
        let ghost = ObjectID(OpID(counter: 999, replica: ReplicaID(0xDEAD)))
        let change = Self.forged([Op(object: ghost, action: .set(.map("title"), .scalar("x"), pred: []))], on: deal.shared)
        #expect(refusal(change, .head, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["unknown_object", nil])
        // An object of the staff card is unknown in the shared card.
        let notes = try #require(try deal.staff.get(.root, "staff.notes")?.objectID)
        let elsewhere = Self.forged([Op(object: notes, action: .insertText(after: nil, ["x"]))], on: deal.shared)
        #expect(refusal(elsewhere, .sales, in: deal.shared)?.code == .unknownObject)
    }

    @Test func recreatingAContainerNeedsWriteRights() throws {
        let deal = try Self.base()
        let wipe = try Self.forge(on: deal.shared) { _, _, tx in try tx.putObject(.root, "credit.applications", .list) }
        guard case .set(_, _, let pred) = wipe.ops[0].action else { Issue.record("expected a set"); return }
        #expect(!pred.isEmpty, "the new list supersedes the old one")
        #expect(refusal(wipe, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "credit.applications"])
        #expect(refusal(wipe, .sales, in: deal.shared)?.code == .permission)
        #expect(refusal(wipe, .finance, in: deal.shared) == nil)
        // Creating a missing container supersedes nothing: any reader may.
        let empty = Document(replica: ReplicaID(1))
        let create = try Self.forge(on: empty) { _, _, tx in try tx.putObject(.root, "credit.applications", .list) }
        #expect(refusal(create, .buyer, in: empty) == nil)
        // But not with records in it.
        let createAndFill = try Self.forge(on: empty) { _, _, tx in
            let list = try tx.putObject(.root, "credit.applications", .list)
            try tx.insertObject(list, at: 0, .map)
        }
        #expect(refusal(createAndFill, .buyer, in: empty).map { [$0.code.rawValue, $0.path] } == ["permission", "credit.applications"])
        // Clearing a list is a write of the list.
        let clear = try Self.forge(on: deal.shared) { _, _, tx in try tx.delete(.root, "credit.applications") }
        #expect(refusal(clear, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "credit.applications"])
    }

    /// The empty-container shortcut in `checkRootOp` checks that the key is a field and the
    /// kind matches; regression: it did not check that the field lives in the document written.
    @Test func anEmptyContainerForAFieldOfTheOtherDocumentIsRefused() throws {
        let empty = Document(replica: ReplicaID(1))
        let create = try Self.forge(on: empty) { _, _, tx in try tx.putObject(.root, "staff.notes", .text) }
        do {
            #expect(refusal(create, .buyer, .shared, in: empty).map { [$0.code.rawValue, $0.path] } == ["permission", "staff.notes"])
        }
    }

    /// An "empty container" with empty pred is accepted from any reader even when the field
    /// already has one (regression). A container the author had seen may only be replaced by
    /// a writer of the field: the integration role, which may not write `staff.notes`, must not
    /// hide the notes behind a new empty text.
    @Test func aNonWriterCannotHideTheNotesBehindANewEmptyText() throws {
        let deal = try Self.base()
        let change = Self.forged([Op(object: .root, action: .set(.map("staff.notes"), .object(.text), pred: []))], on: deal.staff)
        let accepted = refusal(change, .integration, .staff, in: deal.staff) == nil
        #expect(deal.staff.apply([change]).refused.isEmpty)
        let shown = CardReader(schema: .standard).read(deal.staff, kind: .staff).values["staff.notes"]
        do {
            #expect(!accepted || shown == .text("Call after 6"), "accepted: \(accepted), shown: \(String(describing: shown))")
        }
    }

    @Test func skipMarkersNeedAFieldOfTheStage() throws {
        let deal = try Self.base()
        let skip = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(.root, CardCodec.skipKey(.status), true) }
        #expect(refusal(skip, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "$skipped.status"])
        #expect(refusal(skip, .appraiser, in: deal.shared)?.code == .permission)
        #expect(refusal(skip, .sales, in: deal.shared) == nil)
        let resume = Self.forged([Op(object: .root, action: .delete(.map(CardCodec.skipKey(.status)), pred: []))], on: deal.shared)
        #expect(refusal(resume, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "$skipped.status"])
        let falseMarker = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(.root, CardCodec.skipKey(.vehicle), false) }
        #expect(refusal(falseMarker, .buyer, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["invalid_value", "$skipped.vehicle"])
        // The assessment stage has fields only on the staff card.
        let assessment = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(.root, CardCodec.skipKey(.assessment), true) }
        #expect(refusal(assessment, .head, .shared, in: deal.shared).map { [$0.code.rawValue, $0.path] } == ["permission", "$skipped.assessment"])
        let unknownStage = try Self.forge(on: deal.shared) { _, _, tx in try tx.put(.root, "$skipped.lunch", true) }
        #expect(refusal(unknownStage, .head, in: deal.shared)?.code == .permission)
    }

    @Test func authorsMustMatchTheToken() throws {
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer, device: "kiosk-3", channel: .kiosk)
        let change = try #require(try buyer.set("vehicle.model", .text("Niva")))
        func check(_ user: String, _ role: Role, _ device: String?) -> WriteRefusal? {
            cardRefusal { try Self.validator.validateAuthor(change, user: user, role: role, device: device) }
        }
        #expect(check("petrov", .buyer, "kiosk-3") == nil)
        #expect(check("petrov", .buyer, nil) == nil, "a token not bound to a device")
        #expect(check("sidorov", .buyer, "kiosk-3")?.code == .forgedAuthor)
        #expect(check("petrov", .sales, "kiosk-3")?.code == .forgedAuthor)
        #expect(check("petrov", .buyer, "kiosk-4")?.code == .forgedAuthor)
        #expect(check("sidorov", .buyer, "kiosk-3")?.path == nil)
        var bare = change
        bare.metadata = []
        #expect(cardRefusal { try Self.validator.validateAuthor(bare, user: "petrov", role: .buyer, device: nil) }?.code == .forgedAuthor)
        bare.metadata = Array(#"{"u":"petrov","r":"owner","d":"kiosk-3","c":"kiosk","t":0}"#.utf8)
        #expect(cardRefusal { try Self.validator.validateAuthor(bare, user: "petrov", role: .buyer, device: nil) }?.code == .forgedAuthor)
    }

    @Test func authorMetadataIsCompactSortedJSON() throws {
        let author = ChangeAuthor(user: "petrov", role: .buyer, device: "kiosk/3", channel: .kiosk, time: 1_749_978_000_000)
        #expect(String(decoding: author.encoded(), as: UTF8.self)
            == #"{"c":"kiosk","d":"kiosk/3","r":"buyer","t":1749978000000,"u":"petrov"}"#)
        #expect(ChangeAuthor(metadata: author.encoded()) == author)
        #expect(ChangeAuthor(metadata: Array("not json".utf8)) == nil)
    }

    @Test func dealIDs() {
        #expect(DealID("d-7k2m9x4qpa3c")?.rawValue == "d-7k2m9x4qpa3c")
        #expect(DealID("") == nil && DealID(String(repeating: "a", count: 65)) == nil && DealID("a b") == nil && DealID("сделка") == nil)
        #expect(DealID(String(repeating: "a", count: 64)) != nil)
        let random = DealID.random()
        #expect(random.rawValue.count == 14 && random.rawValue.hasPrefix("d-"))
        #expect(DealID.random() != random)
    }
}
