import CRDT

// Tests name replicas by integer literals (`7`); production code makes a replica id from its
// bits on purpose, with `ReplicaID(_:)`.
extension ReplicaID: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: UInt64) { self.init(value) }
}
