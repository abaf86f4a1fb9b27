import Foundation

/// Pushes that arrive together share one transaction and one fsync.
///
/// A request decides its push on the relay actor (``PushDecision``), then waits here instead
/// of committing alone. The first waiter schedules a flush on the actor; it runs once the
/// requests already queued on the actor have decided theirs, and commits every waiting push in
/// one transaction, each in a savepoint of its own (``RelayStorage/commitPushes(_:)``): one the
/// storage refuses is rolled back alone and fails alone. Each request is answered only after
/// that commit returned, so an answer never acknowledges what a `kill -9` could still lose.
///
/// A decision made while earlier pushes wait sees them as if stored: the documents in memory
/// already hold their changes, and the storage, the authority, checks each push again in its
/// savepoint. When a push fails, every document it named is forgotten inside the flush, before
/// any request resumes, so memory follows the log: nothing that runs on the actor between the
/// commit and the failed request's resumption (a first sync, an analytics slice, an integration
/// write) can read the refused changes.
struct RelayGroupCommit {
    struct Waiting {
        let commit: PushCommit
        /// The documents the push's decision read or changed, forgotten if it fails.
        let named: [RelaySyncState.DocumentKey]
        /// Answers the waiting request (called once, on the actor, after the commit).
        let resume: @Sendable (Result<[LogRecord], RelayCommitError>) -> Void
    }

    /// Pushes decided and not yet committed, in the order they were decided.
    private(set) var waiting: [Waiting] = []
    /// The documents the waiting pushes append to (``Relay/freshSnapshots(for:)`` asks),
    /// kept as they join so that asking costs nothing per waiting push.
    private(set) var changedDocuments: Set<RelaySyncState.DocumentKey> = []

    /// Adds a decided push to the group.
    mutating func append(_ push: Waiting) {
        waiting.append(push)
        for entry in push.commit.entries {
            changedDocuments.insert(RelaySyncState.DocumentKey(dealership: entry.dealership, deal: entry.deal, document: entry.document))
        }
    }
    /// Whether a flush is scheduled on the actor.
    var flushScheduled = false
}

extension Relay {
    /// Waits for the next group commit and returns this push's part of it.
    func commitGrouped(_ commit: PushCommit, named: [RelaySyncState.DocumentKey]) async -> Result<[LogRecord], RelayCommitError> {
        guard !commit.isEmpty else { return .success([]) }
        return await withCheckedContinuation { continuation in
            sync.groupCommit.append(.init(commit: commit, named: named, resume: { continuation.resume(returning: $0) }))
            guard !sync.groupCommit.flushScheduled else { return }
            sync.groupCommit.flushScheduled = true
            Task { self.flushGroupCommit() }
        }
    }

    /// Commits every waiting push in one transaction and resumes their requests.
    func flushGroupCommit() {
        let group = sync.groupCommit.waiting
        sync.groupCommit = RelayGroupCommit()
        guard !group.isEmpty else { return }
        let results: [Result<[LogRecord], RelayCommitError>]
        do {
            results = try storage.commitPushes(group.map(\.commit))
        } catch {
            results = group.map { _ in .failure(RelayCommitError(error)) }
        }
        metrics.groupCommits.increment()
        metrics.groupCommittedPushes.increment(by: Double(group.count))
        for (waiting, result) in zip(group, results) {
            switch result {
            case .success(let records): rememberOwnAppends(records)
            case .failure: for key in waiting.named { sync.cache.remove(key) }
            }
        }
        for (waiting, result) in zip(group, results) { waiting.resume(result) }
    }
}
