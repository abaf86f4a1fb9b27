/// The globally unique id of one op: a Lamport counter and the replica that made it.
///
/// Ids are totally ordered by counter, then by replica. That order is the tie-break that
/// makes every replica pick the same winner among concurrent writes and the same order
/// among concurrent list inserts. An op made after seeing another always has a greater
/// counter, so "greater id" never contradicts "happened later".
public struct OpID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The Lamport counter: greater than every counter the author had seen.
    public var counter: UInt64
    /// The replica that made the op.
    public var replica: ReplicaID

    public init(counter: UInt64, replica: ReplicaID) {
        self.counter = counter
        self.replica = replica
    }

    /// `counter@replica`, as used in error messages and the spec.
    public var description: String { "\(counter)@\(replica)" }

    /// The id `offset` places further along the same replica's counter.
    ///
    /// Saturates at `UInt64.max` instead of overflowing: no op has that counter (counters
    /// stay within ``Change/maximumCounter``), so an offset too large for the id names no
    /// element and is refused where it is looked up, rather than trapping.
    @inlinable
    public func advanced(by offset: UInt64) -> OpID {
        let (sum, overflow) = counter.addingReportingOverflow(offset)
        return OpID(counter: overflow ? .max : sum, replica: replica)
    }

    @inlinable
    public static func < (lhs: OpID, rhs: OpID) -> Bool {
        lhs.counter != rhs.counter ? lhs.counter < rhs.counter : lhs.replica.rawValue < rhs.replica.rawValue
    }
}
