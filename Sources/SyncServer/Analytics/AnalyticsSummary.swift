import DealCardKit
import SyncProtocol

/// What an ``AnalyticsReport`` is made of, as read in one go: the deals' totals and the two
/// lists, at one log position. ``DealAnalytics/report(_:now:idleDays:)`` turns it into the
/// answer; ``DealAnalyticsReader`` reads it from the store.
public struct AnalyticsSummary: Sendable, Hashable {
    /// A deal of the switches list.
    public struct SwitchingDeal: Sendable, Hashable {
        public var deal: DealID
        public var switches: Int
        /// Its channels by author time, repeats collapsed.
        public var path: [Channel]

        public init(deal: DealID, switches: Int, path: [Channel]) {
            self.deal = deal
            self.switches = switches
            self.path = path
        }
    }

    /// A deal of the idle list.
    public struct IdleDeal: Sendable, Hashable {
        public var deal: DealID
        /// Its latest author time, milliseconds since 1970.
        public var lastChange: Int64

        public init(deal: DealID, lastChange: Int64) {
            self.deal = deal
            self.lastChange = lastChange
        }
    }

    /// The log position everything here is current to.
    public var cursor: LogPosition
    public var totals: AnalyticsTotals
    /// The deals with the most switches (none with 0), most first, then by id; at most the
    /// number asked for.
    public var mostSwitches: [SwitchingDeal]
    /// Open deals whose latest change is before the idle threshold.
    public var idleCount: Int
    /// The longest idle of them first (then by id); at most the number asked for.
    public var idle: [IdleDeal]

    public init(cursor: LogPosition, totals: AnalyticsTotals, mostSwitches: [SwitchingDeal], idleCount: Int, idle: [IdleDeal]) {
        self.cursor = cursor
        self.totals = totals
        self.mostSwitches = mostSwitches
        self.idleCount = idleCount
        self.idle = idle
    }
}

/// What a report asks of the store: the deals it covers, and its threshold and list lengths.
public struct AnalyticsQuery: Sendable, Hashable {
    public var scope: AnalyticsScope
    /// Deals whose latest change is before this (milliseconds since 1970) are idle.
    public var idleBefore: Int64
    public var idleLimit: Int
    public var switchesLimit: Int

    public init(scope: AnalyticsScope, idleBefore: Int64, idleLimit: Int, switchesLimit: Int) {
        self.scope = scope
        self.idleBefore = idleBefore
        self.idleLimit = idleLimit
        self.switchesLimit = switchesLimit
    }
}
