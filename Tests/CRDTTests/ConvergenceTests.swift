import Testing
@testable import CRDT
import TestSupport

/// Randomized convergence: five replicas, random edits on every type, random partial,
/// reordered and duplicated delivery; after delivering everything, every replica has the
/// same state and writes the same snapshot bytes. Pinned seeds run by default;
/// `CRDT_FUZZ_SEEDS=N swift test --filter Convergence` runs seeds 1...N, `TEST_SEED=n` seed n alone.
@Suite("Convergence under random interleavings")
struct ConvergenceTests {
    static let pinnedSeeds: [UInt64] = Array(1...300)

    @Test(arguments: RepeatableRandom.seeds(pinned: pinnedSeeds, countVariable: "CRDT_FUZZ_SEEDS"))
    func randomInterleavingsConverge(seed: UInt64) throws {
        try checkConvergence(seed: seed, replicas: 5, steps: 40)
    }

    @Test func oneLongRunConverges() throws {
        try checkConvergence(seed: 0xDEA1, replicas: 5, steps: 2_500)
    }

    private func checkConvergence(seed: UInt64, replicas: Int, steps: Int) throws {
        var simulator = Simulator(seed: seed, replicaCount: replicas)
        try simulator.run(steps: steps)
        simulator.syncAll()
        let reference = simulator.replicas[0]
        let referenceState = try reference.materialize()
        let referenceSnapshot = reference.encodeSnapshot()
        for (index, replica) in simulator.replicas.enumerated().dropFirst() {
            let state = try replica.materialize()
            #expect(replica.version == reference.version, "seed \(seed): replica \(index) version differs\n\(simulator.tail())")
            #expect(state == referenceState, "seed \(seed): replica \(index) state differs\n\(state)\n\(referenceState)\n\(simulator.tail())")
            #expect(replica.encodeSnapshot() == referenceSnapshot, "seed \(seed): replica \(index) snapshot differs")
            if state != referenceState { return }
        }
        let reloaded = try Document(snapshot: referenceSnapshot)
        #expect(try reloaded.materialize() == referenceState, "seed \(seed): snapshot reload differs")
    }
}
