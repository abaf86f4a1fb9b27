import CRDT

/// One deal card as an app shows it: field values, conflicts, stage progress.
///
/// Only the documents the reader may see are included: a buyer's card never holds a staff
/// field, nor any sign that the staff card exists.
public struct DealCard: Sendable, Equatable {
    public var id: DealID
    /// Shown value of every filled field, by path (lists as `.list` of `.record`s,
    /// collaborative texts as `.text`).
    public var values: [String: FieldValue]
    /// Fields holding concurrent values, by path (scalar fields; record sub-fields as
    /// `path[index].field`; collaborative texts). For a scalar field or sub-field the first
    /// value is the one shown. For a collaborative text each value is one of the texts created
    /// concurrently (empty ones left out), oldest first, and the value shown is all of them
    /// joined with line feeds.
    public var conflicts: [String: [FieldConflict]]
    /// Stages marked skipped.
    public var skippedStages: Set<Stage>
    /// Each stage's status and the channel it was last touched on.
    public var stages: [StageState]
    /// Share of required fields filled (the dealers' KPI).
    public var completeness: Completeness
    /// The documents included (the staff card only for staff who may read it, once it exists).
    public var documents: Set<DealDocumentKind>

    public init(id: DealID, values: [String: FieldValue], conflicts: [String: [FieldConflict]], skippedStages: Set<Stage>,
                stages: [StageState], completeness: Completeness, documents: Set<DealDocumentKind>) {
        self.id = id
        self.values = values
        self.conflicts = conflicts
        self.skippedStages = skippedStages
        self.stages = stages
        self.completeness = completeness
        self.documents = documents
    }
}

/// One of the concurrent values of a field.
public struct FieldConflict: Sendable, Equatable {
    /// The value (nil if it does not fit the field's type).
    public var value: FieldValue?
    /// Who wrote it, from the change's metadata.
    public var author: ChangeAuthor?
    /// The op that wrote it.
    public var opID: OpID
}

/// A stage's progress on a card.
public struct StageState: Sendable, Equatable {
    public var stage: Stage
    public var status: StageStatus
    /// The channel of the latest edit of one of the stage's fields (by the author's clock).
    public var lastChannel: Channel?
}

/// One change of a card's history: who, with which role, on which device and channel,
/// when, and what it changed.
public struct HistoryEntry: Sendable, Equatable {
    public var change: ChangeID
    public var document: DealDocumentKind
    public var author: ChangeAuthor?
    /// Human-readable lines, one per field touched: `credit.downPayment = 300 000 ₽`.
    public var edits: [String]
    /// The field paths touched.
    public var paths: [String]
}
