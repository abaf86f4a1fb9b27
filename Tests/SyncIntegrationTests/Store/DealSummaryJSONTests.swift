@testable import DealCardKit
@testable import SyncCore
import Foundation
import Testing

/// A stored summary is written without `JSONEncoder`, in the encoder's bytes: the rows a
/// sync answer writes are the rows it wrote before, and any build reads them.
@Suite("Deal summary JSON")
struct DealSummaryJSONTests {
    /// The fields of a summary, to make one with any strings (a summary is otherwise made
    /// from a card only).
    private struct Fields: Encodable {
        var id = "d-camry"
        var model: String?
        var price: String?
        var stages: [[String: String]] = []
        var completenessPercent = 0
        var conflictCount = 0
        var updatedAt: Int64 = 0
    }

    static let strings: [String] = [
        "Camry", "", " ", "a/b", "say \"hi\"", "back\\slash", "line\nfeed\ttab\r", "\u{0}\u{1}\u{1F}", "\u{7F}", "\u{80}\u{9F}",
        "\u{A0}nbsp", "2\u{202F}330\u{202F}000\u{A0}₽", FieldValue.money(minorUnits: 233_000_000, currency: "RUB").displayText,
        "\u{2028}\u{2029}", "🚗 Lada", "e\u{301}", "<>&'", "Нива Тревел", "\u{FEFF}bom", "\u{FFFD}", "tab\there/",
    ]

    private func summary(_ fields: Fields) throws -> DealSummary {
        try JSONDecoder().decode(DealSummary.self, from: JSONEncoder().encode(fields))
    }

    private func encoderJSON(_ summary: DealSummary) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(summary), as: UTF8.self)
    }

    @Test(arguments: strings)
    func aSummaryIsWrittenAsTheEncoderWritesIt(_ text: String) throws {
        for fields in [Fields(model: text), Fields(price: text), Fields(model: text, price: text),
                       Fields(model: text, stages: [["stage": "vehicle", "status": "done", "lastChannel": "pc"]])] {
            let summary = try summary(fields)
            #expect(summary.storedJSON == (try encoderJSON(summary)))
        }
    }

    @Test func everyShapeOfASummaryIsWrittenAsTheEncoderWritesIt() throws {
        let stages: [[String: String]] = Stage.allCases.enumerated().map { position, stage in
            var entry = ["stage": stage.rawValue, "status": StageStatus.allCases[position % StageStatus.allCases.count].rawValue]
            if position % 3 != 0 { entry["lastChannel"] = Channel.allCases[position % Channel.allCases.count].rawValue }
            return entry
        }
        let shapes = [
            Fields(),
            Fields(id: "d-7k2m9x4qpa3c", model: "Niva", price: "1 ₽", stages: stages, completenessPercent: 100, conflictCount: 3,
                   updatedAt: 1_750_000_000_000),
            Fields(stages: [["stage": "credit", "status": "inProgress"]], completenessPercent: 58, updatedAt: -1),
            Fields(model: "x", conflictCount: Int.max, updatedAt: Int64.min),
            Fields(price: "y", completenessPercent: Int.min, updatedAt: Int64.max),
        ]
        for fields in shapes {
            let summary = try summary(fields)
            #expect(summary.storedJSON == (try encoderJSON(summary)))
            #expect(try JSONDecoder().decode(DealSummary.self, from: Data(summary.storedJSON.utf8)) == summary)
        }
    }
}
