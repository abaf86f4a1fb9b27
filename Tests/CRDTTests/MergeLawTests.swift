import Testing
@testable import CRDT
import TestSupport

/// Checks that merging change sets is commutative, associative and idempotent: the merge of
/// any grouping and order of the sets gives the same state and snapshot.
func checkMergeLaws(_ sets: [[Change]], sourceLocation: SourceLocation = #_sourceLocation) throws {
    func merged(_ groups: [[Change]]) -> Document {
        let doc = Document(replica: ReplicaID(0xFEED))
        for group in groups { doc.apply(group) }
        return doc
    }
    let reference = merged(sets)
    let expected = try reference.materialize()
    let snapshot = reference.encodeSnapshot()
    var orders: [[[Change]]] = [sets.reversed(), sets + sets, [sets.flatMap { $0 }]]
    if sets.count >= 3 {
        // (a ∪ b) ∪ c versus a ∪ (b ∪ c), each side merged as one document first.
        let left = merged([sets[0], sets[1]]).history
        let right = merged([sets[1], sets[2]]).history
        orders.append([left, sets[2]] + sets.dropFirst(3))
        orders.append([sets[0], right] + sets.dropFirst(3))
    }
    for order in orders {
        let doc = merged(order)
        #expect(try doc.materialize() == expected, sourceLocation: sourceLocation)
        #expect(doc.encodeSnapshot() == snapshot, sourceLocation: sourceLocation)
    }
}

@Suite("Merge laws")
struct MergeLawTests {
    @Test(arguments: RepeatableRandom.seeds(pinned: [11, 12, 13, 14, 15]))
    func mergeIsCommutativeAssociativeAndIdempotent(seed: UInt64) throws {
        var simulator = Simulator(seed: seed, replicaCount: 3)
        try simulator.run(steps: 60)
        try checkMergeLaws(simulator.replicas.map(\.history))
    }
}
