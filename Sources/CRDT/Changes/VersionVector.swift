/// For each replica, how many of its changes have been seen (the highest sequence number).
///
/// A version vector names a causally closed set of changes: "every change of replica r with
/// seq ≤ v[r]". Two replicas with equal version vectors have applied the same changes.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// Highest seen sequence number per replica; replicas at 0 are not stored.
    public private(set) var entries: [ReplicaID: UInt64]

    public init(_ entries: [ReplicaID: UInt64] = [:]) {
        self.entries = entries.filter { $0.value > 0 }
    }

    /// The highest seq seen from `replica` (0 when none).
    public subscript(replica: ReplicaID) -> UInt64 {
        get { entries[replica] ?? 0 }
        set { entries[replica] = newValue == 0 ? nil : newValue }
    }

    /// Whether every change this vector names is also named by `other`.
    public func isIncluded(in other: VersionVector) -> Bool {
        entries.allSatisfy { other[$0.key] >= $0.value }
    }

    /// Raises each entry to the larger of the two.
    public mutating func formUnion(_ other: VersionVector) {
        for (replica, seq) in other.entries where seq > self[replica] {
            entries[replica] = seq
        }
    }

    /// The entries sorted by replica id: the canonical order used in encodings.
    public var sorted: [(replica: ReplicaID, seq: UInt64)] {
        entries.sorted { $0.key < $1.key }.map { (replica: $0.key, seq: $0.value) }
    }

    public var description: String {
        "{" + sorted.map { "\($0.replica):\($0.seq)" }.joined(separator: ", ") + "}"
    }
}
