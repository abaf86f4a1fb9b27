/// Everything one push stores, committed together by ``RelayStorage/commitPush(_:)``: the
/// replica bindings and deals it creates, the refused changes it quarantines, the accepted
/// changes it appends to the log, and the analytics rows of the deals they change.
public struct PushCommit: Sendable, Hashable {
    /// Bindings of replicas seen for the first time.
    public var bindings: [ReplicaBinding] = []
    /// Deals created by an accepted change.
    public var deals: [DealRecord] = []
    /// Refused changes kept for an operator.
    public var quarantine: [QuarantineEntry] = []
    /// Accepted changes, in order.
    public var entries: [NewLogEntry] = []
    /// The analytics rows of the deals `entries` change, from their documents as the push
    /// leaves them (see ``RelayStorage/appendChanges(_:analytics:)``).
    public var analytics: [DealAnalyticsRow] = []

    public init(bindings: [ReplicaBinding] = [], deals: [DealRecord] = [], quarantine: [QuarantineEntry] = [], entries: [NewLogEntry] = [],
                analytics: [DealAnalyticsRow] = []) {
        self.bindings = bindings
        self.deals = deals
        self.quarantine = quarantine
        self.entries = entries
        self.analytics = analytics
    }

    /// Whether there is nothing to store.
    public var isEmpty: Bool { bindings.isEmpty && deals.isEmpty && quarantine.isEmpty && entries.isEmpty && analytics.isEmpty }
}
