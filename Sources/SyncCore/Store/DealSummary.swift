import DealCardKit
/// What `deal list` shows of a deal without loading its documents: kept in the store and
/// refreshed on every edit and sync.
public struct DealSummary: Sendable, Equatable, Codable {
    public var id: DealID
    public var model: String?
    public var price: String?
    public var stages: [StageSummary]
    public var completenessPercent: Int
    public var conflictCount: Int
    /// Milliseconds since 1970 of the last local or remote change.
    public var updatedAt: Int64

    public struct StageSummary: Sendable, Equatable, Codable {
        public var stage: Stage
        public var status: StageStatus
        public var lastChannel: Channel?
    }

    init(card: DealCard, updatedAt: Int64) {
        id = card.id
        if case .text(let model)? = card.values["vehicle.model"] { self.model = model }
        price = card.values["vehicle.price"]?.displayText
        stages = card.stages.map { StageSummary(stage: $0.stage, status: $0.status, lastChannel: $0.lastChannel) }
        completenessPercent = card.completeness.percent
        conflictCount = card.conflicts.count
        self.updatedAt = updatedAt
    }
}
