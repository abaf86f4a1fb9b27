/// An atomic transaction of ops by one replica: applied whole or not at all.
///
/// Changes of one replica are numbered 1, 2, 3…; change `seq` depends on `seq - 1` of the
/// same replica and on everything `deps` names. A document applies a change only once all of
/// those are applied; until then it waits in the document's pending set.
public struct Change: Hashable, Sendable {
    /// The replica that made the change.
    public var replica: ReplicaID
    /// 1-based position among the replica's changes.
    public var seq: UInt64
    /// The counter of the first op's id; later ops follow on consecutively.
    public var startOp: UInt64
    /// The other replicas' changes the author had seen (the author's own previous change is
    /// implied by `seq`).
    public var deps: VersionVector
    /// Opaque bytes for the layer above (who, role, device, channel, time). The engine
    /// stores and returns them and never reads them.
    public var metadata: [UInt8]
    /// The ops, in the order they were made.
    public var ops: [Op]

    public init(replica: ReplicaID, seq: UInt64, startOp: UInt64, deps: VersionVector, metadata: [UInt8], ops: [Op]) {
        self.replica = replica
        self.seq = seq
        self.startOp = startOp
        self.deps = deps
        self.metadata = metadata
        self.ops = ops
    }

    /// The counters the ops use in all.
    ///
    /// Saturates at `UInt64.max` instead of overflowing; any width above
    /// ``maximumWidth`` is refused by the decoder, ``Document/apply(_:)`` and transactions.
    public var width: UInt64 {
        var total: UInt64 = 0
        for op in ops {
            let (sum, overflow) = total.addingReportingOverflow(op.width)
            if overflow { return .max }
            total = sum
        }
        return total
    }

    /// One past the counter of the last op (exclusive end).
    ///
    /// Saturates at `UInt64.max` instead of overflowing, for a change whose counters run
    /// past the range (which no document accepts).
    public var endOp: UInt64 {
        let (end, overflow) = startOp.addingReportingOverflow(width)
        return overflow ? .max : end
    }

    /// The change's identity: its replica and sequence number.
    public var id: ChangeID { ChangeID(replica: replica, seq: seq) }
}

/// Names one change: the replica that made it and its sequence number.
public struct ChangeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var replica: ReplicaID
    public var seq: UInt64

    public init(replica: ReplicaID, seq: UInt64) {
        self.replica = replica
        self.seq = seq
    }

    public var description: String { "\(replica)/\(seq)" }

    public static func < (lhs: ChangeID, rhs: ChangeID) -> Bool {
        lhs.replica != rhs.replica ? lhs.replica < rhs.replica : lhs.seq < rhs.seq
    }
}
