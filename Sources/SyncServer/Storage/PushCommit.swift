import SyncProtocol

/// Everything one push stores, committed together by ``RelayStorage/commitPush(_:)``: the
/// replica bindings and deals it creates, the refused changes it quarantines, the accepted
/// changes it appends to the log, fresh snapshots of the documents they change, and the
/// analytics rows of their deals.
public struct PushCommit: Sendable, Hashable {
    /// Bindings of replicas seen for the first time.
    public var bindings: [ReplicaBinding] = []
    /// Deals created by an accepted change.
    public var deals: [DealRecord] = []
    /// Refused changes kept for an operator.
    public var quarantine: [QuarantineEntry] = []
    /// Accepted changes, in order.
    public var entries: [NewLogEntry] = []
    /// Snapshots of documents that ``entries`` change, each holding every change of its
    /// document once the entries are in (stored as covering the last one). A document
    /// changed without one is left stale, to be built when a first sync needs it.
    public var snapshots: [StoredSnapshot] = []

    /// The analytics rows of the deals `entries` change, from their documents as the push
    /// leaves them (see ``RelayStorage/appendChanges(_:analytics:)``).
    public var analytics: [DealAnalyticsRow] = []

    /// The log position up to which the memory the push was decided in held every entry
    /// (nil: all of them, as for a relay that is its storage's only writer). A shared storage
    /// leaves stale the ``analytics`` rows and ``snapshots`` of deals that got an entry after
    /// it from elsewhere, since they were computed without it.
    public var basedOn: LogPosition?

    public init(bindings: [ReplicaBinding] = [], deals: [DealRecord] = [], quarantine: [QuarantineEntry] = [], entries: [NewLogEntry] = [],
                snapshots: [StoredSnapshot] = [], analytics: [DealAnalyticsRow] = []) {
        self.bindings = bindings
        self.deals = deals
        self.quarantine = quarantine
        self.entries = entries
        self.snapshots = snapshots
        self.analytics = analytics
    }

    /// Whether there is nothing to store.
    public var isEmpty: Bool { bindings.isEmpty && deals.isEmpty && quarantine.isEmpty && entries.isEmpty && analytics.isEmpty }
}
