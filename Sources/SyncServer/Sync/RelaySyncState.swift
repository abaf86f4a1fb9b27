import SyncProtocol
import CRDT
import DealCardKit
import Foundation

/// The relay's in-memory sync state, owned by the ``Relay`` actor: each deal document as a
/// CRDT document rebuilt from the change log (to validate pushed changes against and to
/// serve snapshots), and the long-poll requests waiting for news (see `LongPoll/`).
final class RelaySyncState {
    typealias DocumentKey = RelayDocumentCache.Key

    /// The replica the relay writes its own changes as (integration writes).
    var replica: ReplicaID
    /// Whether ``replica`` is bound to the relay in the replica bindings (before its first
    /// integration write), so that no device can push changes under it.
    var isReplicaBound = false
    /// The documents in memory, bounded in number and bytes.
    let cache = RelayDocumentCache()
    /// The log entries set aside as unloadable (read from the store on first use).
    var unloadable: Set<LogPosition>?
    /// The log's last position when this relay started (read on first use): entries after it
    /// were checked on their way in; those up to it are checked by loading their document once.
    var checkedAfter: LogPosition?
    /// Documents with entries from before this relay started that it has loaded at least once,
    /// so those entries are known to load (or were set aside). Kept when a document leaves the
    /// cache; a document whose entries all came later is never in it.
    var loadedOnce: Set<DocumentKey> = []
    /// The furthest log position the store was compacted through, as this relay last saw it
    /// (``Relay/noticeCompaction()``).
    var compactedThrough = LogPosition.start
    /// What this node knows of a log other nodes append to (``Relay/noticeOtherNodes()``).
    var sharedLog = SharedLogState()
    /// The long-polls waiting for a commit they may read, filed by what they may read.
    var longPolls = LongPollIndex<LongPollWaiter>()
    /// Long-polls woken by a commit or at the end of their wait, whose answers are built
    /// next, after the request that committed has been answered (``Relay/answerLongPolls()``).
    var longPollsToAnswer: [LongPollsDue] = []
    /// Whether a task to build ``longPollsToAnswer`` is on its way.
    var isAnsweringLongPolls = false
    /// When the waits of ``longPolls`` run out, in ticks since the relay started.
    var longPollDeadlines = LongPollDeadlines()
    /// Whether the task that sweeps ``longPollDeadlines`` runs (while long-polls wait).
    var isSweepingLongPolls = false
    /// Waits for any commit at all, whatever its dealership (the upstream push loop).
    var commitWaiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    /// Log entries that came from the upstream relay (not to be pushed back), by
    /// ``UpstreamOutbox/key(_:)``; forgotten once the pushed position has passed them.
    var fromUpstream: Set<String> = []
    /// The dealership of the upstream relay token, once known.
    var upstreamDealership: String?
    /// Set when the upstream answered `history_compacted`: nothing is pushed until the pull
    /// loop's first sync from 0 has ended (its compacted documents taken first).
    var upstreamPullsFirst = false
    /// Pushes decided and waiting for the next group commit (``Relay/commitGrouped(_:named:)``).
    var groupCommit = RelayGroupCommit()
    let schema: DealSchema
    /// What one change and one document may cost.
    let budget: CardBudget

    init(replica: ReplicaID, schema: DealSchema, budget: CardBudget = .standard) {
        self.replica = replica
        self.schema = schema
        self.budget = budget
    }
}
