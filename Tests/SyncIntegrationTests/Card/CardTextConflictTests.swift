import TestSupport
import CRDT
import DealCardKit
import Testing

/// The notes of the two texts `splitNotes` makes, oldest first.
private let olderNote = "Wants a discount on mats.", newerNote = "Scoring 710, approved by two banks."

/// Edits of the two texts and the texts they leave, oldest first.
private let twoTextEdits: [(value: String, texts: [String])] = [
    // In place.
    (olderNote + "\n\n" + newerNote, [olderNote, "\n" + newerNote]),
    (newerNote, ["", newerNote]),
    (olderNote, [olderNote, ""]),
    ("Call him after 6", ["Call him after 6", ""]),
    ("", ["", ""]),
    // Collapsed: a line feed between the texts replaced, removed, or kept for an emptied text.
    (olderNote + " " + newerNote, ["", olderNote + " " + newerNote]),
    (olderNote + newerNote, ["", olderNote + newerNote]),
    ("Wants a discount. Scoring 710.", ["", "Wants a discount. Scoring 710."]),
    ("\n" + newerNote, ["", "\n" + newerNote]),
]

/// Editing a collaborative text field that holds several text objects (devices created it
/// concurrently): the field shows exactly what was set, here and on every replica, and the
/// edit stays a splice.
@Suite("Card text conflicts")
struct CardTextConflictTests {
    static let notes = "staff.notes"

    /// Two staff devices forked from one staff card without notes; each writes notes before
    /// they sync, so the field holds two text objects.
    static func splitNotes(older: String = olderNote, newer: String = newerNote)
        throws -> (sales: CardDevice, finance: CardDevice) {
        let head = CardDevice(0x10, user: "smirnov", role: .head)
        try head.set("staff.margin", CardValues.rub(4_500_000))
        // With equal counters the larger replica id is the newer text: finance's.
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, document: head.document)
        let finance = CardDevice(0x70, user: "kozlova", role: .finance, document: head.document)
        try sales.set(notes, .text(older))
        try finance.set(notes, .text(newer))
        cardExchange(sales.document, finance.document)
        return (sales, finance)
    }

    /// The text objects of the notes, oldest first.
    static func texts(_ device: CardDevice) throws -> [String] {
        try device.document.conflicts(.root, notes).compactMap(\.value.objectID).sorted().map { try device.document.text($0) }
    }

    /// Resolving a text conflict with the value it shows already ends it: one text holds the
    /// joined value (the newest), and every replica agrees. A plain set of the same value
    /// changes nothing (it shows it already).
    @Test func resolvingATextConflictWithItsShownValueEndsIt() throws {
        let (sales, finance) = try Self.splitNotes()
        let shown = olderNote + "\n" + newerNote
        _ = try sales.set(Self.notes, .text(shown))
        #expect(sales.read(.staff).conflicts[Self.notes] != nil, "a set that shows the value already is no resolve")
        let change = try #require(try sales.edit { editor, document, tx in
            try editor.resolve(Self.notes, .text(shown), in: document, tx)
        })
        #expect(sales.read(.staff).values[Self.notes] == .text(shown))
        #expect(sales.read(.staff).conflicts[Self.notes] == nil)
        #expect(try Self.texts(sales) == ["", shown])
        finance.document.apply([change])
        #expect(finance.read(.staff).values[Self.notes] == .text(shown) && finance.read(.staff).conflicts[Self.notes] == nil)
    }

    /// Regression: the edit spliced only the newest text to the whole new value, so appending
    /// "!" to "A\nB" showed "A\nA\nB!".
    @Test func editingTheJoinedValueShowsExactlyTheEdit() throws {
        let (sales, finance) = try Self.splitNotes()
        let shown = olderNote + "\n" + newerNote
        #expect(sales.read(.staff).values[Self.notes] == .text(shown))
        #expect(sales.read(.staff).conflicts[Self.notes]?.map(\.value) == [.text(olderNote), .text(newerNote)])

        let edit = try #require(try sales.set(Self.notes, .text(shown + "!")))
        #expect(sales.read(.staff).values[Self.notes] == .text(shown + "!"))
        #expect(try Self.texts(sales) == [olderNote, newerNote + "!"], "typed into the text where it was typed")
        guard edit.ops.count == 1, case .insertText(_, let scalars) = edit.ops[0].action else {
            Issue.record("expected one insert: \(edit.ops)"); return
        }
        #expect(String(String.UnicodeScalarView(scalars)) == "!")
        #expect(sales.read(.staff).conflicts[Self.notes]?.count == 2, "both authors' texts are still reported")

        #expect(cardRefusal { try ChangeValidator(schema: .standard).validate(edit, role: .sales, kind: .staff, in: finance.document) } == nil)
        cardExchange(sales.document, finance.document)
        #expect(finance.read(.staff).values[Self.notes] == .text(shown + "!"))
        #expect(finance.read(.staff).values == sales.read(.staff).values)

        // The end of the older text is the position before the line feed.
        try finance.set(Self.notes, .text(olderNote + " Or tyres.\n" + newerNote + "!"))
        #expect(try Self.texts(finance) == [olderNote + " Or tyres.", newerNote + "!"])
        cardExchange(sales.document, finance.document)
        #expect(sales.read(.staff).values[Self.notes] == .text(olderNote + " Or tyres.\n" + newerNote + "!"))
    }

    /// Edits of two texts: in place where the texts can show them (the texts after), collapsed
    /// into the newest where a line feed between them changes.
    @Test(arguments: twoTextEdits)
    func anEditOfTwoTextsShowsExactlyTheEdit(value: String, texts: [String]) throws {
        let (sales, finance) = try Self.splitNotes()
        try finance.set(Self.notes, .text(value))
        #expect(finance.read(.staff).values[Self.notes] == .text(value))
        #expect(try Self.texts(finance) == texts)
        cardExchange(sales.document, finance.document)
        #expect(sales.read(.staff).values[Self.notes] == .text(value))
        let conflicted = texts.filter { !$0.isEmpty }.count > 1
        #expect((sales.read(.staff).conflicts[Self.notes] != nil) == conflicted)
    }

    /// In place, concurrent edits of either text merge scalar by scalar.
    @Test func concurrentEditsOfEitherTextMerge() throws {
        let (sales, finance) = try Self.splitNotes(older: "A", newer: "B")
        let appraiser = CardDevice(0x30, user: "orlov", role: .appraiser, document: sales.document)
        try sales.set(Self.notes, .text("A\nB!"))
        try finance.set(Self.notes, .text("A\nBee"))
        try appraiser.set(Self.notes, .text("A+\nB"))
        cardExchange(sales.document, finance.document)
        cardExchange(sales.document, appraiser.document)
        cardExchange(finance.document, appraiser.document)
        let shown = sales.read(.staff).values[Self.notes]
        #expect(finance.read(.staff).values[Self.notes] == shown && appraiser.read(.staff).values[Self.notes] == shown)
        // "!" and "ee" both follow "B", in op id order; nothing is duplicated.
        #expect(shown == .text("A+\nB!ee") || shown == .text("A+\nBee!"), "\(String(describing: shown))")
    }

    /// A collapse empties the older text; what another device types into it at the same time
    /// survives there and shows as a line of its own before the value.
    @Test func anInsertConcurrentWithACollapseShowsAsItsOwnPart() throws {
        let (sales, finance) = try Self.splitNotes(older: "A", newer: "B")
        let collapse = try #require(try sales.set(Self.notes, .text("A B")))
        #expect(try Self.texts(sales) == ["", "A B"])
        let deleted = collapse.ops.map { op -> UInt64 in if case .deleteRun(_, let count) = op.action { count } else { 0 } }
        #expect(deleted == [1, 0], "only the older text's \"A\" is deleted; \"B\" stays: \(collapse.ops)")
        #expect(sales.read(.staff).conflicts.isEmpty, "a collapse ends the conflict")
        try finance.set(Self.notes, .text("Ax\nB"))
        cardExchange(sales.document, finance.document)
        #expect(sales.read(.staff).values[Self.notes] == .text("x\nA B"))
        #expect(finance.read(.staff).values == sales.read(.staff).values)
        #expect(sales.read(.staff).conflicts[Self.notes]?.count == 2)
    }

    /// One text: an edit is the diff splice it always was (only the changed scalars).
    @Test func aSingleTextIsSplicedNotRewritten() throws {
        let sales = CardDevice(1, user: "ivanova", role: .sales)
        try sales.set(Self.notes, .text("Call after 6"))
        let append = try #require(try sales.set(Self.notes, .text("Call after 6, not before")))
        guard append.ops.count == 1, case .insertText(_, let scalars) = append.ops[0].action else {
            Issue.record("expected one insert: \(append.ops)"); return
        }
        #expect(String(String.UnicodeScalarView(scalars)) == ", not before")
        let replace = try #require(try sales.set(Self.notes, .text("Call after 7, not before")))
        let kinds = replace.ops.map { op -> String in
            switch op.action {
            case .deleteRun(_, let count): "delete \(count)"
            case .insertText(_, let scalars): "insert \(String(String.UnicodeScalarView(scalars)))"
            default: "other"
            }
        }
        #expect(kinds == ["delete 1", "insert 7"])
        #expect(sales.read(.staff).values[Self.notes] == .text("Call after 7, not before"))
        #expect(try Self.texts(sales) == ["Call after 7, not before"])
    }

    /// Texts created empty on several devices (their first change creates every container)
    /// show nothing, and typing into them shows exactly what was typed.
    @Test func emptyTextsShowNothing() throws {
        let sales = CardDevice(0x50, user: "ivanova", role: .sales)
        let finance = CardDevice(0x70, user: "kozlova", role: .finance)
        try sales.edit { e, d, tx in try e.createContainers(document: .staff, in: d, tx) }
        try finance.edit { e, d, tx in try e.createContainers(document: .staff, in: d, tx) }
        cardExchange(sales.document, finance.document)
        #expect(try Self.texts(sales) == ["", ""])
        #expect(sales.read(.staff).values[Self.notes] == .text(""))
        #expect(sales.read(.staff).conflicts[Self.notes] == nil)
        let typed = try #require(try sales.set(Self.notes, .text("Call after 6")))
        #expect(typed.ops.count == 1, "one insert into the newest text")
        cardExchange(sales.document, finance.document)
        #expect(finance.read(.staff).values[Self.notes] == .text("Call after 6"))
    }

    /// The older texts' content is moved into the newest in inserts the relay accepts, even
    /// when it is longer than one insert may be.
    @Test func movedContentIsInsertedWithinTheBudget() throws {
        let limit = CardBudget.standard.valueBytes
        let car = "🚗"  // four UTF-8 bytes
        let half = String(repeating: car, count: limit / 4 / 2 + 100)
        let (sales, finance) = try Self.splitNotes(older: half, newer: "B")
        try sales.set(Self.notes, .text(half + half + "\nB"))  // the older text grows past one insert
        #expect(try Self.texts(sales) == [half + half, "B"])
        cardExchange(sales.document, finance.document)
        let edit = try #require(try finance.set(Self.notes, .text(half + half + "B")))  // a collapse
        #expect(finance.read(.staff).values[Self.notes] == .text(half + half + "B"))
        let inserts = edit.ops.compactMap { op -> Int? in
            if case .insertText(_, let scalars) = op.action { scalars.reduce(0) { $0 + UTF8.width($1) } } else { nil }
        }
        #expect(inserts.count == 2 && inserts.allSatisfy { $0 <= limit } && inserts.reduce(0, +) == 2 * half.utf8.count, "\(inserts)")
        #expect(cardRefusal { try CardBudget.standard.check(edit, encodedBytes: edit.encoded().count) } == nil)
        cardExchange(sales.document, finance.document)
        #expect(sales.read(.staff).values[Self.notes] == .text(half + half + "B"))
    }

    // MARK: Random

    /// N staff devices fork one card without notes; most write notes before syncing (so the
    /// field holds several texts), then they edit what they see and sync pairwise in random
    /// order. Once all have synced they show the same notes; then one edits the shown value
    /// at random, shows exactly that, and after a sync so does every device.
    @Test("concurrent texts converge, and an edit of the shown value is shown everywhere",
          arguments: RepeatableRandom.seeds(pinned: [1, 2, 3, 4, 5, 6, 7, 8, 42, 2025], countVariable: "CARD_FUZZ_SEEDS"))
    func randomConcurrentTextsConverge(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let head = CardDevice(0x10, user: "smirnov", role: .head)
        try head.set("staff.margin", CardValues.rub(4_500_000))
        let roles: [Role] = [.sales, .finance, .head, .appraiser]
        let devices = (0..<random.int(2..<6)).map { index in
            CardDevice(UInt64(0x100 + index), user: "u\(index)", role: roles[index % roles.count], document: head.document)
        }
        for device in devices where random.chance(80) {
            try device.set(Self.notes, .text(Self.randomText(&random)))
        }
        for _ in 0..<random.int(5..<30) {
            if random.chance(50) {
                let device = random.pick(devices)
                let shown = Self.shown(device)
                let edited = Self.randomEdit(of: shown, &random)
                try device.set(Self.notes, .text(edited))
                #expect(Self.shown(device) == edited, "seed \(seed): an edit shows exactly what was set")
            } else {
                let a = random.pick(devices), b = random.pick(devices)
                if a !== b { cardExchange(a.document, b.document) }
            }
        }
        Self.syncAll(devices, &random)
        let converged = Self.shown(devices[0])
        for device in devices {
            #expect(Self.shown(device) == converged, "seed \(seed): replicas converge")
        }

        let editor = random.pick(devices)
        let edited = Self.randomEdit(of: converged, &random)
        let other = try #require(devices.first { $0 !== editor })
        let change = try editor.set(Self.notes, .text(edited))
        #expect(Self.shown(editor) == edited, "seed \(seed): the edit is shown on its replica")
        if let change {
            let refusal = cardRefusal { try ChangeValidator(schema: .standard).validate(change, role: editor.author.role, kind: .staff, in: other.document) }
            #expect(refusal == nil, "seed \(seed): \(String(describing: refusal))")
        }
        Self.syncAll(devices, &random)
        for device in devices {
            #expect(Self.shown(device) == edited, "seed \(seed): the edit is shown everywhere")
        }
    }

    static func shown(_ device: CardDevice) -> String {
        device.read(.staff).values[notes]?.displayText ?? ""
    }

    /// Pairwise exchanges in random order until every device has every change.
    static func syncAll(_ devices: [CardDevice], _ random: inout RepeatableRandom) {
        var pairs = devices.indices.flatMap { a in devices.indices.filter { $0 > a }.map { (a, $0) } }
        while Set(devices.map(\.document.version)).count > 1 {
            pairs.shuffle(using: &random)
            for (a, b) in pairs { cardExchange(devices[a].document, devices[b].document) }
        }
    }

    /// Short texts over an alphabet with line feeds and scalars of every UTF-8 width.
    static let alphabet: [Character] = ["a", "b", "c", " ", "\n", "é", "ж", "🚗"]

    static func randomText(_ random: inout RepeatableRandom) -> String {
        String((0..<random.int(0..<6)).map { _ in random.pick(alphabet) })
    }

    /// `text` with a random range (possibly empty, possibly across line feeds) replaced.
    static func randomEdit(of text: String, _ random: inout RepeatableRandom) -> String {
        var characters = Array(text)
        let start = random.int(0..<(characters.count + 1))
        let count = random.int(0..<(min(4, characters.count - start) + 1))
        characters.replaceSubrange(start..<(start + count), with: Array(randomText(&random)))
        return String(characters)
    }
}
