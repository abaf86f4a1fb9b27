import Synchronization
import HTTP1

/// The relay's metrics, by name, over one ``MetricsRegistry``.
///
/// Values owned by other parts (open connections, store size) are copied in by
/// ``render(storeSizeBytes:)`` at scrape time.
public final class RelayMetrics: Sendable {
    /// Every metric; add more here as endpoints grow.
    public let registry = MetricsRegistry()
    /// Changes appended to the log (duplicates of logged changes are not counted).
    public let changesAccepted: Counter
    /// Changes refused and quarantined.
    public let changesRefused: Counter
    /// Stored log entries found unloadable and set aside (an operator should look).
    public let logEntriesUnloadable: Counter
    /// Deal documents rebuilt from the log (a fast-growing count means the document cache
    /// is too small for the working set).
    public let documentsLoaded: Counter
    /// Snapshots a first sync built because none was stored for it (missing, or stale for
    /// its base); each is stored for the next one.
    public let snapshotsBuilt: Counter
    /// Analytics rows computed from deal documents rather than kept on commit (a migrated
    /// store, a change of schema, set-aside entries): each costs a deal's document loads.
    public let analyticsRowsComputed: Counter
    /// Seconds from a change's commit until it was handed to every waiting device.
    public let fanoutLatency: Histogram
    /// Group commits of pushes (one transaction each), and the pushes they carried: the
    /// second over the first is the average group.
    public let groupCommits: Counter
    /// Documents let go because another relay node changed them (a shared storage).
    public let otherNodeDocuments: Counter
    public let groupCommittedPushes: Counter
    /// Long-polls woken by a commit they may read (each counts once per wake-up; one that
    /// ends at the end of its wait is not counted).
    public let longPollWakeups: Counter
    /// Answers built for woken and timed-out long-polls: long-polls woken together with the
    /// same visibility, cursor and limit share one.
    public let longPollAnswersBuilt: Counter
    /// Long-polls waiting now.
    public let longPollsWaiting: Gauge
    private let openConnections: Gauge
    private let peakQueuedOutput: Gauge
    private let outputPauses: Gauge
    private let storeSize: Gauge
    private let httpStats = Mutex<HTTPServerStats?>(nil)
    /// `relay_http_requests_total` by status, so that counting a request is one lookup; 200,
    /// by far the most counted, without even that.
    private let requestCounters = Mutex<[Int: Counter]>([:])
    private let okRequests: Counter

    public init() {
        changesAccepted = registry.counter("relay_changes_accepted_total", help: "Changes appended to the change log.")
        changesRefused = registry.counter("relay_changes_refused_total", help: "Changes refused and quarantined.")
        documentsLoaded = registry.counter(
            "relay_documents_loaded_total", help: "Deal documents rebuilt from the change log into the document cache.")
        snapshotsBuilt = registry.counter(
            "relay_snapshots_built_total", help: "Document snapshots a first sync built because none was stored for it.")
        analyticsRowsComputed = registry.counter(
            "relay_analytics_rows_computed_total", help: "Analytics rows computed from deal documents (stale rows brought up to date).")
        logEntriesUnloadable = registry.counter(
            "relay_log_entries_unloadable_total", help: "Stored log entries that cannot be loaded, set aside and quarantined.")
        otherNodeDocuments = registry.counter(
            "relay_other_node_documents_total", help: "Documents in memory let go because another relay node appended to them.")
        groupCommits = registry.counter("relay_push_group_commits_total", help: "Transactions that committed one or more pushes together.")
        groupCommittedPushes = registry.counter(
            "relay_push_group_committed_pushes_total", help: "Pushes committed by group commits (over relay_push_group_commits_total: the average group).")
        fanoutLatency = registry.histogram(
            "relay_fanout_latency_seconds", help: "Time from a change's commit to its delivery to waiting devices.")
        longPollWakeups = registry.counter(
            "relay_longpoll_wakeups_total", help: "Long-polls woken by a commit they may read.")
        longPollAnswersBuilt = registry.counter(
            "relay_longpoll_answers_built_total",
            help: "Answers built for woken or timed-out long-polls; those with the same visibility, cursor and limit share one.")
        longPollsWaiting = registry.gauge("relay_longpolls_waiting", help: "Long-polls waiting for news now.")
        openConnections = registry.gauge("relay_http_open_connections", help: "HTTP connections open now.")
        peakQueuedOutput = registry.gauge(
            "relay_http_peak_queued_output_bytes", help: "The most unsent answer bytes one connection has held since start.")
        outputPauses = registry.gauge(
            "relay_http_output_pauses", help: "Times a connection stopped taking requests because its client was not reading, since start.")
        storeSize = registry.gauge("relay_store_size_bytes", help: "Size of the relay's store (page_count * page_size).")
        okRequests = registry.counter("relay_http_requests_total", help: "HTTP requests answered, by status.", labels: ["status": "200"])
    }

    /// Reads open connections and output back-pressure from `stats` at each scrape.
    public func observe(_ stats: HTTPServerStats) {
        httpStats.withLock { $0 = stats }
    }

    /// Counts one answered request by status.
    public func countRequest(status: Int) {
        guard status != 200 else { return okRequests.increment() }
        let counter = requestCounters.withLock { counters in
            if let known = counters[status] { return known }
            let made = registry.counter("relay_http_requests_total", help: "HTTP requests answered, by status.", labels: ["status": String(status)])
            counters[status] = made
            return made
        }
        counter.increment()
    }

    /// The exposition text, with the copied-in values brought up to date.
    public func render(storeSizeBytes: Int64?) -> String {
        if let stats = httpStats.withLock({ $0 }) {
            let snapshot = stats.snapshot
            openConnections.set(Double(snapshot.openConnections))
            peakQueuedOutput.set(Double(snapshot.peakQueuedOutputBytes))
            outputPauses.set(Double(snapshot.outputPauses))
        }
        if let storeSizeBytes {
            storeSize.set(Double(storeSizeBytes))
        }
        return registry.render()
    }
}
