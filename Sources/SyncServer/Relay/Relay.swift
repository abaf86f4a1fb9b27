import Foundation
import Synchronization
import DealCardKit
import HTTP1

/// The relay's state: its storage, metrics and start time, owned by one actor.
///
/// The storage is not thread-safe (see ``RelayStorage``); every use goes through this actor.
/// Endpoints are added as extensions of `Relay` (which may use ``storage``) plus a
/// ``RelayRoute`` in ``RelayRouter``.
public actor Relay {
    /// The store; only touched on this actor.
    let storage: any RelayStorage
    /// Set by ``close()``; every path that touches the storage checks it first.
    private(set) var isClosed = false
    /// ``isClosed`` readable off the actor, so that `/healthz` never waits behind a request.
    nonisolated let closedFlag = Atomic<Bool>(false)
    /// Where the relay reports what an operator must know (unloadable log entries).
    nonisolated let log: RelayLog
    /// The relay's counters and histograms, usable from any thread.
    public nonisolated let metrics: RelayMetrics
    /// When the relay was created, for uptime.
    public nonisolated let startedAt: ContinuousClock.Instant
    /// The version reported by `/healthz`.
    public nonisolated let version: String
    /// Deal documents in memory and waiting long-polls (see `Sync/`).
    let sync: RelaySyncState
    /// The schema as canonical JSON, for `GET /v1/schema` (devices load it at `init`).
    public nonisolated let schemaJSON: [UInt8]
    /// The analytics reader and rules, usable off the actor (see `Analytics/`).
    nonisolated let analyticsRows: RelayAnalyticsState
    /// The reader of first-sync pages, once opened (``firstSyncPageOffActor``); closed with the relay.
    nonisolated let snapshotReader = Mutex<(any SnapshotPageReader)?>(nil)

    /// A relay over `storage`, which it owns from now on (and closes in ``close()``).
    public init(storage: sending any RelayStorage, metrics: RelayMetrics = RelayMetrics(), version: String = SyncServerInfo.version,
                schema: DealSchema = .standard, log: RelayLog = .discarding) {
        self.storage = storage
        self.log = log
        sync = RelaySyncState(replica: .random(), schema: schema)
        schemaJSON = schema.canonicalJSON
        analyticsRows = RelayAnalyticsState(schema: schema)
        // Before any commit of this relay, so the rows it commits stand (on failure, the first
        // report checks again).
        try? analyticsRows.checkRules(of: storage)
        self.metrics = metrics
        self.version = version
        startedAt = ContinuousClock.now
    }

    /// The token record behind `request`'s bearer token; see ``RelayAuthenticator``.
    public func authenticate(_ request: HTTPRequest, now: Date = Date()) -> Result<TokenRecord, RelayError> {
        guard !isClosed else { return .failure(RelayError(.unavailable, "the relay is shutting down; retry shortly")) }
        return RelayAuthenticator.authenticate(authorization: request.headers["Authorization"], now: now) { hash in
            try storage.token(forHash: hash)
        }
    }

    /// The store's size in bytes, nil when it cannot be read (or is closed).
    public func storeSizeBytes() -> Int64? {
        guard !isClosed else { return nil }
        return try? storage.storeSizeBytes
    }

    /// Whether the store answers; false once closed.
    public func isHealthy() -> Bool {
        storeSizeBytes() != nil
    }

    /// Closes the storage; afterwards requests that need it get `unavailable`.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        closedFlag.store(true, ordering: .releasing)
        // Long-polls still waiting end now and answer `unavailable`.
        endAllWaits()
        analyticsRows.close()
        snapshotReader.withLock { reader in
            reader?.close()
            reader = nil
        }
        storage.close()
    }
}
