import SyncProtocol

/// The answer of `GET /v1/analytics` (protocol-spec/integration.md): a summary of a
/// dealership's deals. Encoded with sorted keys; every map lists all its keys, zeros
/// included, so dashboards need no special cases.
public struct AnalyticsReport: Encodable, Sendable, Equatable {
    /// When the report was made, ISO 8601 UTC.
    public var asOf: String
    /// The relay log position the report is current to.
    public var cursor: LogPosition
    /// Deals with at least one change.
    public var deals: Int
    /// Deals per `status.state` value, `unset` for none.
    public var byState: [String: Int]
    /// Per stage, deals per stage status (`untouched`, `inProgress`, `done`, `skipped`).
    public var byStage: [String: [String: Int]]
    public var completeness: CompletenessSummary
    /// Deals per channel of their latest change (by author time).
    public var lastChannel: [String: Int]
    public var channelSwitches: ChannelSwitchSummary
    public var idle: IdleSummary

    /// How complete the cards are.
    public struct CompletenessSummary: Encodable, Sendable, Equatable {
        /// Mean share of required fields filled, in percent, to one decimal.
        public var averagePercent: Double
        /// Deals per bucket of whole percent (rounded down): `0-24`, `25-49`, `50-74`, `75-99`, `100`.
        public var buckets: [String: Int]
    }

    /// How often deals moved between channels.
    public struct ChannelSwitchSummary: Encodable, Sendable, Equatable {
        /// Switches over all deals: consecutive changes (by author time) on different channels.
        public var total: Int
        /// `total / deals`, to two decimals.
        public var averagePerDeal: Double
        /// The deals with the most switches (at most 10, none with 0), most first, then by id.
        public var top: [DealSwitches]
    }

    public struct DealSwitches: Encodable, Sendable, Equatable {
        public var deal: String
        public var switches: Int
        /// The channels of the deal's changes with repeats collapsed: `["web", "kiosk", "web"]`.
        public var path: [String]
    }

    /// Open deals nobody touched for `days` days.
    public struct IdleSummary: Encodable, Sendable, Equatable {
        /// The threshold asked for (`?idleDays=`).
        public var days: Int
        /// How many open deals are idle.
        public var count: Int
        /// The idle deals, longest idle first, at most 100.
        public var deals: [IdleDeal]
    }

    public struct IdleDeal: Encodable, Sendable, Equatable {
        public var deal: String
        /// The latest change's author time, ISO 8601 UTC.
        public var lastChangeAt: String
        /// Whole days since then.
        public var idleDays: Int
    }
}
