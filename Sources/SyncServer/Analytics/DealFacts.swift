import DealCardKit

/// What the analytics report needs to know of one deal (protocol-spec/integration.md,
/// `GET /v1/analytics`): computed from the deal's two cards by ``DealAnalytics``, kept per
/// deal in the relay's store (``DealAnalyticsRow``) as the deal's changes are committed.
public struct DealFacts: Sendable, Hashable {
    /// Each stage of the schema and its status (`DealSchema.status(of:in:)`).
    public var stages: [Stage: StageStatus]
    /// Required fields filled, skipped stages left out.
    public var completeness: Completeness
    /// `status.state`, nil when unset.
    public var state: String?
    /// The channels of the deal's changes ordered by author time (then change id), repeats
    /// collapsed: `[web, kiosk, web]`.
    public var path: [Channel]
    /// The latest author time, milliseconds since 1970; nil when no change has an author.
    public var lastChange: Int64?

    public init(stages: [Stage: StageStatus], completeness: Completeness, state: String?, path: [Channel], lastChange: Int64?) {
        self.stages = stages
        self.completeness = completeness
        self.state = state
        self.path = path
        self.lastChange = lastChange
    }

    /// Consecutive changes (by author time) on different channels.
    public var switches: Int { max(path.count - 1, 0) }

    /// The channel of the latest change.
    public var lastChannel: Channel? { path.last }

    /// `channels` with repeats collapsed.
    static func path(of channels: some Sequence<Channel>) -> [Channel] {
        var path: [Channel] = []
        for channel in channels where path.last != channel { path.append(channel) }
        return path
    }
}
