/// How far one stage of a deal has come.
public enum StageStatus: String, Sendable, Hashable, CaseIterable, Codable {
    /// No field of the stage is filled in.
    case untouched
    /// Some fields are filled in but a required one is missing.
    case inProgress
    /// Every required field is filled in (for a stage with no required field: any
    /// field is filled in).
    case done
    /// Someone marked the stage skipped or postponed; its values, if any, are kept.
    case skipped
}

/// What the progress functions read from a deal: a materialized snapshot of its
/// values and its per-stage skip markers.
///
/// The replica layer builds one from its documents: `values` maps field paths to
/// values (a list field to `.list`, a collaborative text to `.text`), containing the
/// fields of the documents named in `documents` — only the shared card for a buyer,
/// both cards for staff.
public struct CardSnapshot: Sendable, Hashable {
    /// Field path to value; absent paths are unset.
    public var values: [String: FieldValue]
    /// Stages marked skipped (or postponed).
    public var skippedStages: Set<Stage>
    /// The documents whose fields count; fields of other documents are ignored.
    public var documents: Set<DealDocumentKind>

    public init(
        values: [String: FieldValue], skippedStages: Set<Stage> = [],
        documents: Set<DealDocumentKind> = [.shared]
    ) {
        self.values = values
        self.skippedStages = skippedStages
        self.documents = documents
    }
}

/// The share of required fields filled in, over the stages that are not skipped.
public struct Completeness: Sendable, Hashable, CustomStringConvertible {
    /// Required fields that are filled in.
    public let filled: Int
    /// Required fields counted (those of skipped stages are not).
    public let required: Int

    public init(filled: Int, required: Int) {
        precondition(filled >= 0 && filled <= required, "filled must be within 0...required")
        self.filled = filled
        self.required = required
    }

    /// `filled / required`, 1 when nothing is required.
    public var fraction: Double { required == 0 ? 1 : Double(filled) / Double(required) }

    /// Whole percent, rounded down so a card shows 100% only when it is complete.
    public var percent: Int { required == 0 ? 100 : filled * 100 / required }

    /// `7/12 (58%)`.
    public var description: String { "\(filled)/\(required) (\(percent)%)" }
}

extension DealSchema {
    /// The status of `stage` in `card`.
    ///
    /// A skip marker wins over the values; otherwise the stage is untouched when no
    /// field of it is filled (see ``FieldValue/isFilled``), done when every required
    /// field is (or, for a stage without required fields, when any field is), and in
    /// progress in between. Only fields of `card.documents` are looked at.
    /// - Complexity: O(fields in the schema).
    public func status(of stage: Stage, in card: CardSnapshot) -> StageStatus {
        if card.skippedStages.contains(stage) { return .skipped }
        let stageFields = fields.filter { $0.stage == stage && card.documents.contains($0.document) }
        let filled = stageFields.filter { card.values[$0.path]?.isFilled ?? false }
        if filled.isEmpty { return .untouched }
        let required = stageFields.filter(\.isRequired)
        return filled.filter(\.isRequired).count == required.count ? .done : .inProgress
    }

    /// The status of every stage that has fields in `card.documents`, in stage order: each
    /// one's ``status(of:in:)``.
    /// - Complexity: O(fields in the schema), all stages in one pass over the fields.
    public func stageStatuses(in card: CardSnapshot) -> [(stage: Stage, status: StageStatus)] {
        let stages = Stage.allCases
        var tallies = [StageTally](repeating: StageTally(), count: stages.count)
        for index in fields.indices where card.documents.contains(layout.documents[index]) {
            let isRequired = fields[index].isRequired
            let isFilled = card.values[fields[index].path]?.isFilled ?? false
            tallies[layout.stagePositions[index]].count(isRequired: isRequired, isFilled: isFilled)
        }
        return stages.indices.compactMap { position in
            let (stage, tally) = (stages[position], tallies[position])
            guard tally.fields > 0 else { return nil }
            if card.skippedStages.contains(stage) { return (stage, .skipped) }
            if tally.filled == 0 { return (stage, .untouched) }
            return (stage, tally.filledRequired == tally.required ? .done : .inProgress)
        }
    }

    /// One stage's fields counted for ``stageStatuses(in:)``.
    private struct StageTally {
        var fields = 0
        var filled = 0
        var required = 0
        var filledRequired = 0

        mutating func count(isRequired: Bool, isFilled: Bool) {
            fields += 1
            if isFilled { filled += 1 }
            if isRequired { required += 1 }
            if isRequired && isFilled { filledRequired += 1 }
        }
    }

    /// The share of required fields filled in, skipped stages left out of both counts
    /// (a card whose buyer has no trade-in is not less complete for it).
    /// - Complexity: O(fields in the schema).
    public func completeness(of card: CardSnapshot) -> Completeness {
        var filled = 0
        var required = 0
        for index in fields.indices where fields[index].isRequired && card.documents.contains(layout.documents[index])
            && !card.skippedStages.contains(fields[index].stage)
        {
            required += 1
            if card.values[fields[index].path]?.isFilled ?? false { filled += 1 }
        }
        return Completeness(filled: filled, required: required)
    }
}
