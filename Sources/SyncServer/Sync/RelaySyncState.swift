import CRDT
import Foundation
import SyncCore

/// The relay's in-memory sync state, owned by the ``Relay`` actor: each deal document as a
/// CRDT document rebuilt from the change log (to validate pushed changes against and to
/// serve snapshots), and the long-poll requests waiting for news.
final class RelaySyncState {
    struct DocumentKey: Hashable {
        var deal: String
        var kind: DealDocumentKind
    }

    /// The replica the relay writes its own changes as (integration writes).
    var replica: ReplicaID
    /// Whether ``replica`` is bound to the relay in the replica bindings (before its first
    /// integration write), so that no device can push changes under it.
    var isReplicaBound = false
    var documents: [DocumentKey: Document] = [:]
    /// When each cached document was last used (a counter, not a clock).
    var lastUse: [DocumentKey: UInt64] = [:]
    var useClock: UInt64 = 0
    /// Documents kept in memory at most; the least recently used beyond it are dropped
    /// (and rebuilt from the log when needed again).
    var documentCapacity = 20_000
    var waiters: [UUID: (continuation: CheckedContinuation<Void, Never>, since: ContinuousClock.Instant)] = [:]
    /// Log entries that came from the upstream relay (not to be pushed back), by key.
    var fromUpstream: Set<String> = []
    /// The dealership of the upstream relay token, once known.
    var upstreamDealership: String?
    let schema: DealSchema

    init(replica: ReplicaID, schema: DealSchema) {
        self.replica = replica
        self.schema = schema
    }
}
