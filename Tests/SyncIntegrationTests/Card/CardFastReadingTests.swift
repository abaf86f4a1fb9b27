import CRDT
@testable import DealCardKit
import Foundation
import Testing
import TestSupport

/// The cheap ways a card is read on every sync answer must give what the long ways give:
/// author metadata read without `JSONDecoder`, stage touches without history lines, every
/// stage's status in one pass over the fields.
@Suite("Card reading, the cheap ways")
struct CardFastReadingTests {
    /// Metadata in many forms, canonical or not: the fast path either reads it as the decoder
    /// does or leaves it to the decoder.
    static let metadata: [String] = [
        #"{"c":"pc","d":"pc-12","r":"sales","t":1749978000000,"u":"ivanova"}"#,
        #"{"c":"web","d":"a/b","r":"buyer","t":0,"u":"x y"}"#,
        #"{"c":"kiosk","d":"","r":"head","t":-5,"u":""}"#,
        #"{"c":"pc","d":"d","r":"sales","t":999999999999999999,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":9223372036854775807,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":9223372036854775808,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":0123,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":-0,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":1.5,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":1e3,"u":"u"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":-,"u":"u"}"#,
        #"{"c":"pc","d":"a\/b","r":"sales","t":1,"u":"\u0041"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":1,"u":"Иванова"}"#,
        #"{"c":"pc","d":"d","r":"wizard","t":1,"u":"u"}"#,
        #"{"c":"fax","d":"d","r":"sales","t":1,"u":"u"}"#,
        #"{ "c":"pc","d":"d","r":"sales","t":1,"u":"u"}"#,
        #"{"u":"u","t":1,"r":"sales","d":"d","c":"pc"}"#,
        #"{"c":"pc","d":"d","r":"sales","t":1,"u":"u","x":1}"#,
        #"{"c":"pc","d":"d","r":"sales","t":1}"#,
        #"{"c":"pc","d":"d","r":"sales","t":1,"u":"u"} "#,
        #"{"c":"pc","d":"d","r":"sales","t":1,"u":"u"}x"#,
        #"{"c":"pc","d":"d","r":"sales","t":1,"u":"u"#,
        #"{"c":"pc","d":"d","r":"sales","t":"1","u":"u"}"#,
        "{\"c\":\"pc\",\"d\":\"tab\there\",\"r\":\"sales\",\"t\":1,\"u\":\"u\"}",
        "",
        "null",
    ]

    @Test(arguments: metadata)
    func authorMetadataReadsAsTheDecoderReadsIt(_ text: String) {
        let bytes = Array(text.utf8)
        let decoded = try? JSONDecoder().decode(ChangeAuthor.self, from: Data(bytes))
        #expect(ChangeAuthor(metadata: bytes) == decoded)
        if let fast = ChangeAuthor(canonical: bytes) {
            #expect(fast == decoded, "the fast path read what the decoder reads otherwise")
        }
    }

    @Test func everyAuthorEncodedWithPrintableTextTakesTheFastPath() {
        var random = RepeatableRandom(seed: 12)
        let alphabet = Array(" abcXYZ019-_.:@/'!~{}[]")
        for _ in 0..<500 {
            let text = { (random: inout RepeatableRandom) in String((0..<random.int(0..<12)).map { _ in random.pick(alphabet) }) }
            let author = ChangeAuthor(user: text(&random), role: random.pick(Role.allCases), device: text(&random),
                                      channel: random.pick(Channel.allCases),
                                      time: random.chance(10) ? -Int64(random.int(0..<1_000)) : Int64(random.int(0..<Int.max)) % 1_000_000_000_000_000)
            #expect(ChangeAuthor(canonical: author.encoded()) == author, "\(String(decoding: author.encoded(), as: UTF8.self))")
        }
    }

    @Test func touchesKeptChangeByChangeAreTheHistorysTouches() throws {
        let reader = CardReader(schema: .standard)
        let deal = try CardReaderTests.workedDeal()
        var documents: [(Document, DealDocumentKind)] = [(deal.shared, .shared), (deal.staff, .staff)]
        // Records added, updated and removed, texts edited, fields cleared, stages skipped and
        // resumed, by authors on clocks that disagree.
        var random = RepeatableRandom(seed: 7)
        let olga = CardDevice(0x61, user: "olga", role: .sales, channel: .pc)
        try olga.edit { editor, document, tx in try editor.createContainers(document: .shared, in: document, tx) }
        let devices = [olga, CardDevice(0x62, user: "petr", role: .sales, channel: .phone, document: olga.document)]
        for step in 0..<60 {
            let device = random.pick(devices)
            let time = CardTime.minutes(Int64(random.int(0..<100)))
            try device.edit(at: time) { editor, document, tx in
                switch random.int(0..<6) {
                case 0: try editor.set("vehicle.model", .text("Model \(step)"), in: document, tx)
                case 1: _ = try editor.addRecord("vehicle.accessories", ["title": .text("Mats \(step)"), "quantity": .integer(1)], in: document, tx)
                case 2: try editor.clear("vehicle.model", in: document, tx)
                case 3: try editor.skip(random.pick([Stage.tradeIn, .insurance]), random.chance(50), document: .shared, in: document, tx)
                case 4: try editor.set("payment.booking", .boolean(random.chance(50)), in: document, tx)
                default: _ = try editor.addRecord("conversation.messages", ["text": .text("hi \(step)"), "author": .text("olga")], in: document, tx)
                }
            }
            if random.chance(30) { cardExchange(devices[0].document, devices[1].document) }
        }
        cardExchange(devices[0].document, devices[1].document)
        documents.append((devices[1].document, .shared))

        for (document, kind) in documents {
            var expected = StageTouches()
            expected.add(reader.history(document, kind: kind), schema: .standard)
            var whole = StageTouches()
            reader.addTouches(of: document.history[...], in: document, to: &whole)
            #expect(whole == expected)
            #expect(!whole.latest.isEmpty)
            // Kept up to date as changes arrive: slice after slice.
            var sliced = StageTouches()
            var start = 0
            while start < document.history.count {
                let end = min(document.history.count, start + random.int(1..<9))
                reader.addTouches(of: document.history[start..<end], in: document, to: &sliced)
                start = end
            }
            #expect(sliced == expected)
        }
    }

    @Test func everyStagesStatusInOnePassIsEachStagesStatus() {
        let schema = DealSchema.standard
        var random = RepeatableRandom(seed: 3)
        let documentSets: [Set<DealDocumentKind>] = [[.shared], [.staff], [.shared, .staff], []]
        for _ in 0..<300 {
            var values: [String: FieldValue] = [:]
            for field in schema.fields where random.chance(30) {
                // Filled and unfilled values (blank text, empty list) alike.
                switch field.type {
                case .list: values[field.path] = .list(random.chance(50) ? [] : [.record(["x": .integer(1)])])
                default: values[field.path] = .text(random.chance(30) ? " " : "x")
                }
            }
            let skipped = Set(Stage.allCases.filter { _ in random.chance(15) })
            let card = CardSnapshot(values: values, skippedStages: skipped, documents: random.pick(documentSets))
            let expected = Stage.allCases
                .filter { stage in schema.fields.contains { $0.stage == stage && card.documents.contains($0.document) } }
                .map { ($0, schema.status(of: $0, in: card)) }
            let statuses = schema.stageStatuses(in: card)
            #expect(statuses.map(\.stage) == expected.map(\.0))
            #expect(statuses.map(\.status) == expected.map(\.1))
        }
    }

    @Test(arguments: ["", " ", "\t\n", "a", " a", "a ", "\u{A0}", "\u{202F}x", " \u{301}", "\u{301} ", "e\u{301}", "\r\n",
                      "\u{200B}", "\u{2028}", "🚗", "\u{FEFF}", "\u{3000}\u{3000}", "\u{85}"])
    func aTextIsFilledUnlessEveryCharacterIsWhitespace(_ text: String) {
        #expect(FieldValue.text(text).isFilled == !text.allSatisfy(\.isWhitespace))
    }

    @Test func aSchemasFieldsOfADocumentAreItsFieldsInThatDocument() {
        for kind in DealDocumentKind.allCases {
            let fields = DealSchema.standard.fields.filter { $0.document == kind }
            #expect(DealSchema.standard.fields(in: kind) == fields)
            for field in DealSchema.standard.fields {
                #expect(DealSchema.standard.field(field.path, in: kind) == (field.document == kind ? field : nil))
            }
        }
    }
}
