import Testing
import DealCardKit

/// Stage status and completeness as pure functions over a card snapshot.
@Suite("Card progress")
struct SchemaCardProgressTests {
    let schema = DealSchema.standard
    static let price = FieldValue.money(minorUnits: 233_000_000, currency: "RUB")

    @Test func stageStatusFollowsTheRequiredFields() {
        var card = CardSnapshot(values: [:])
        #expect(schema.status(of: .vehicle, in: card) == .untouched)
        card.values["vehicle.model"] = .text("Niva Travel")
        #expect(schema.status(of: .vehicle, in: card) == .inProgress)
        card.values["vehicle.trim"] = .text("Luxe")
        card.values["vehicle.color"] = .text("White")
        card.values["vehicle.price"] = Self.price
        #expect(schema.status(of: .vehicle, in: card) == .done)
        card.values["vehicle.color"] = .text("  ")
        #expect(schema.status(of: .vehicle, in: card) == .inProgress, "whitespace is not filled in")
        card.skippedStages = [.vehicle]
        #expect(schema.status(of: .vehicle, in: card) == .skipped, "skip wins and keeps the values")
        #expect(card.values["vehicle.model"] == .text("Niva Travel"))
    }

    @Test func aStageWithoutRequiredFieldsIsDoneOnceTouched() {
        var card = CardSnapshot(values: [:])
        #expect(schema.status(of: .conversation, in: card) == .untouched)
        card.values["conversation.messages"] = .list([])
        #expect(schema.status(of: .conversation, in: card) == .untouched, "an empty list is not filled in")
        card.values["conversation.messages"] = .list([.record(["text": .text("Hello")])])
        #expect(schema.status(of: .conversation, in: card) == .done)
    }

    @Test func staffFieldsCountOnlyForStaffSnapshots() {
        let values: [String: FieldValue] = ["staff.notes": .text("VIP"), "staff.margin": Self.price]
        #expect(schema.status(of: .assessment, in: CardSnapshot(values: values)) == .untouched)
        #expect(schema.status(of: .assessment, in: CardSnapshot(values: values, documents: [.shared, .staff])) == .done)
        let shared = schema.stageStatuses(in: CardSnapshot(values: [:])).map(\.stage)
        #expect(shared == Array(Stage.allCases.dropLast()))
        let both = schema.stageStatuses(in: CardSnapshot(values: [:], documents: [.shared, .staff])).map(\.stage)
        #expect(both == Stage.allCases)
    }

    @Test func completenessLeavesSkippedStagesOut() {
        let required = schema.fields(in: .shared).filter(\.isRequired)
        var card = CardSnapshot(values: ["vehicle.model": .text("Vesta"), "tradeIn.description": .text("Old Lada")])
        #expect(schema.completeness(of: card) == Completeness(filled: 2, required: required.count))
        card.skippedStages = [.tradeIn]
        let tradeInRequired = required.filter { $0.stage == .tradeIn }.count
        let completeness = schema.completeness(of: card)
        #expect(completeness.filled == 1)
        #expect(completeness.required == required.count - tradeInRequired)
        #expect(schema.completeness(of: CardSnapshot(values: [:], skippedStages: Set(Stage.allCases))).fraction == 1)
    }

    @Test func completenessArithmetic() {
        #expect(Completeness(filled: 7, required: 12).percent == 58)
        #expect(Completeness(filled: 7, required: 12).description == "7/12 (58%)")
        #expect(Completeness(filled: 11, required: 12).percent == 91)
        #expect(Completeness(filled: 0, required: 0).percent == 100)
        #expect(Completeness(filled: 3, required: 4).fraction == 0.75)
    }

    @Test func fullCardIsComplete() {
        var values: [String: FieldValue] = [:]
        for field in schema.fields(in: .shared) where field.isRequired {
            values[field.path] = .text("x")
        }
        let card = CardSnapshot(values: values)
        #expect(schema.completeness(of: card).percent == 100)
        for (stage, status) in schema.stageStatuses(in: card) {
            let hasRequired = schema.fields(in: stage, document: .shared).contains(where: \.isRequired)
            #expect(status == (hasRequired ? .done : .untouched), "\(stage)")
        }
    }
}
