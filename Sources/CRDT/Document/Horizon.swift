/// Where a document's history starts when older changes were compacted away (a shallow
/// snapshot, ``Document/encodeSnapshot(horizon:)``): per replica, the last seq left out, and
/// one past the last op counter of that change.
///
/// Everything at or before `seqs` is in the state but not in the history. A replica whose
/// version does not include `seqs` is behind the horizon: changes alone cannot bring it up to
/// date, and a change it made there cannot be applied (``Document/isBehindHorizon(_:)``).
public struct Horizon: Sendable, Equatable {
    /// The last seq compacted away, per replica (0: none of that replica's changes).
    public private(set) var seqs = VersionVector()
    /// Per replica in `seqs`: one past the last op counter of its change `seqs[replica]`.
    /// Every op of that replica with a smaller counter is before the horizon.
    public private(set) var ends: [ReplicaID: UInt64] = [:]

    public init() {}

    init(seqs: VersionVector, ends: [ReplicaID: UInt64]) {
        self.seqs = seqs
        self.ends = ends
    }

    /// No change left out: the whole history is held.
    public var isEmpty: Bool { seqs.entries.isEmpty }

    /// Whether op `id` belongs to a change before the horizon.
    func isBefore(_ id: OpID) -> Bool {
        guard let end = ends[id.replica] else { return false }
        return id.counter < end
    }

    /// The part of `range` after the horizon (all of it for a replica the horizon does not
    /// name), or nil when all of it is before.
    func after(_ range: ElementRange) -> ElementRange? {
        guard let end = ends[range.replica], range.start < end else { return range }
        guard range.end > end else { return nil }
        return ElementRange(replica: range.replica, start: end, end: range.end)
    }
}
