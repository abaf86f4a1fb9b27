import DealCardKit
import SyncCore

/// A deal card as the CLI prints it: the card, its history, and the channel each stage
/// was last edited on.
struct CardView: Sendable {
    let card: DealCard
    let history: [HistoryEntry]
    let schema: DealSchema
    /// The channel of each stage's latest edit.
    ///
    /// Computed here rather than taken from ``StageState/lastChannel`` because the store's
    /// history is ordered by the authors' clocks and then by change id, a total order
    /// every device agrees on; so two devices with the same changes name the same channel
    /// even when two edits carry the same millisecond.
    let lastChannels: [Stage: Channel]

    init(card: DealCard, history: [HistoryEntry], schema: DealSchema) {
        self.card = card
        self.history = history
        self.schema = schema
        var channels: [Stage: Channel] = [:]
        for entry in history {
            guard let author = entry.author else { continue }
            for path in entry.paths {
                if let stage = schema.resolve(path)?.stage ?? CardCodec.stage(ofSkipKey: path) {
                    channels[stage] = author.channel
                }
            }
        }
        // Creating a card makes the containers of every list field, which no one would
        // call an edit of those stages: an untouched stage has no last channel.
        for state in card.stages where state.status == .untouched { channels[state.stage] = nil }
        lastChannels = channels
    }

    /// Loads a deal's card and history from `store`.
    static func load(_ deal: DealID, from store: DeviceStore) async throws -> CardView {
        CardView(card: try await store.card(deal), history: try await store.history(deal), schema: store.schema)
    }

    /// The fields of `stage` in the documents this card includes, in schema order.
    func fields(of stage: Stage) -> [FieldSpec] {
        schema.fields.filter { $0.stage == stage && card.documents.contains($0.document) }
    }
}

extension Stage {
    /// The stage's name for people.
    var title: String {
        switch self {
        case .vehicle: "Vehicle"
        case .tradeIn: "Trade-in"
        case .credit: "Credit"
        case .insurance: "Insurance"
        case .benefits: "Benefits"
        case .payment: "Payment"
        case .delivery: "Delivery"
        case .documents: "Documents"
        case .conversation: "Conversation"
        case .status: "Deal status"
        case .assessment: "Assessment (staff only)"
        }
    }

    /// The document a skip marker of this stage is written to: the shared card when the
    /// stage has fields there, else the staff card (the staff-only assessment stage).
    func skipDocument(in schema: DealSchema) -> DealDocumentKind {
        schema.fields.contains { $0.stage == self && $0.document == .shared } ? .shared : .staff
    }
}

extension StageStatus {
    /// One character for lists and headings: ✓ done, … in progress, – skipped, · untouched.
    var marker: String {
        switch self {
        case .done: "✓"
        case .inProgress: "…"
        case .skipped: "–"
        case .untouched: "·"
        }
    }

    /// The marker's colour.
    var style: Terminal.Style {
        switch self {
        case .done: .green
        case .inProgress: .yellow
        case .skipped, .untouched: .dim
        }
    }

    /// The status for people.
    var words: String {
        switch self {
        case .done: "done"
        case .inProgress: "in progress"
        case .skipped: "skipped"
        case .untouched: "untouched"
        }
    }
}
