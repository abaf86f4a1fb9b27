import Testing
@testable import CRDT

/// The Lamport rule: a change starts exactly one past its causal past's op counters.
@Suite("Counter rule")
struct CounterRuleTests {
    let mallory = ReplicaID(0x3A11_0123)

    /// A document with some history by alice: a text and a few edits.
    private func base() throws -> (Document, ObjectID) {
        let doc = Document(replica: alice)
        var text = ObjectID.root
        try doc.change { tx in
            text = try tx.putObject(.root, "notes", .text)
            try tx.splice(text, at: 0, insert: "hello")
        }
        try doc.change { try $0.put(.root, "price", .int(100)) }
        return (doc, text)
    }

    private func put(_ key: String) -> [Op] { [Op(object: .root, action: .set(.map(key), .scalar(.int(1)), pred: []))] }

    @Test func aFreshReplicaJumpingTheCountersIsRefused() throws {
        // The reported attack: a valid one-op change from a fresh replica with no deps and
        // startOp 2^62 - 2, which used to leave no counters for any later change.
        let (doc, _) = try base()
        let jump = Change(replica: mallory, seq: 1, startOp: (1 << 62) - 2, deps: VersionVector(), metadata: [], ops: put("owned"))
        // It is well-formed on the wire: the decoder accepts it, the document refuses it.
        let decoded = try Change(encoded: jump.encoded())
        #expect(doc.requiredStartOp(for: decoded) == 1)
        let report = doc.apply([decoded])
        #expect(report.applied.isEmpty)
        #expect(report.refused.count == 1)
        let message = report.refused.first?.description ?? ""
        #expect(message.contains("startOp \(jump.startOp)") && message.contains("it must be 1"), "\(message)")
        #expect(try doc.get(.root, "owned") == nil)
        #expect(doc.maxCounter < 100)
        // With everything as deps, the required startOp is one past the document's counters.
        var withDeps = jump
        withDeps.deps = doc.version
        #expect(doc.requiredStartOp(for: withDeps) == doc.maxCounter + 1)
        #expect(doc.apply([withDeps]).refused.count == 1)
        // Later honest changes from everyone still apply.
        let honest = doc.fork(as: mallory)
        let next = try #require(try honest.change { try $0.put(.root, "note", .string("ok")) })
        #expect(next.startOp == doc.maxCounter + 1)
        #expect(doc.apply([next]).applied == [next.id])
        try doc.change { try $0.put(.root, "price", .int(101)) }
        #expect(doc.history.last?.startOp == next.endOp)
    }

    @Test(arguments: [-1, 1, 2, 1_000])
    func aStartOpOtherThanTheFloorIsRefused(offset: Int) throws {
        let (doc, _) = try base()
        let floor = doc.maxCounter + 1
        let startOp = UInt64(Int(floor) + offset)
        let change = Change(replica: alice, seq: 3, startOp: startOp, deps: VersionVector(), metadata: [], ops: put("x"))
        #expect(doc.requiredStartOp(for: change) == floor)
        let report = doc.apply([change])
        #expect(report.applied.isEmpty)
        #expect(report.refused == [.invalidChange(change.id, reason: "startOp \(startOp) does not follow on from the ops it depends on: it must be \(floor), one past the last op counter of its author's previous change and of its deps (a greater startOp would make the counters jump, a smaller one reuse them)")])
        var exact = change
        exact.startOp = floor
        #expect(doc.apply([exact]).applied == [exact.id])
    }

    @Test func requiredStartOpIsNilUntilTheCausalPastIsApplied() throws {
        let (source, _) = try base()
        let doc = Document(replica: bob)
        let second = source.history[1]
        #expect(doc.requiredStartOp(for: second) == nil, "its author's first change is missing")
        doc.apply([source.history[0]])
        #expect(doc.requiredStartOp(for: second) == second.startOp)
        let fromBob = Document(replica: bob, changes: source.history)
        let reply = try #require(try fromBob.change { try $0.put(.root, "seen", true) })
        let carolDoc = Document(replica: carol)
        #expect(carolDoc.requiredStartOp(for: reply) == nil, "its deps are missing")
        carolDoc.apply(source.history)
        #expect(carolDoc.requiredStartOp(for: reply) == reply.startOp)
        var zero = reply
        zero.seq = 0
        #expect(carolDoc.requiredStartOp(for: zero) == nil)
        // For a change already applied, the startOp it has.
        #expect(source.history.allSatisfy { source.requiredStartOp(for: $0) == $0.startOp })
    }

    @Test func theRuleDependsOnlyOnTheCausalPast() throws {
        // Bob's replica has seen a big concurrent change (high counters) that alice's next
        // change does not depend on; both replicas require and accept the same startOp.
        let (a, text) = try base()
        let b = Document(replica: bob, changes: a.history)
        try b.change { try $0.splice(text, at: 5, insert: String(repeating: "!", count: 500)) }
        let next = try #require(try a.change { try $0.put(.root, "price", .int(99)) })
        let c = Document(replica: carol, changes: a.history.dropLast())
        c.apply(b.changes(since: c.version))
        #expect(c.maxCounter > next.startOp)
        #expect(b.requiredStartOp(for: next) == next.startOp)
        #expect(c.requiredStartOp(for: next) == next.startOp)
        #expect(b.apply([next]).applied == [next.id])
        #expect(c.apply([next]).applied == [next.id])
        syncBoth(a, b)
        #expect(try a.materialize() == b.materialize())
    }

    @Test func everyChangeOfRandomHonestWorkloadsFollowsTheRule() throws {
        for seed in seeds(pinned: [21, 22, 23, 24, 25, 26, 27, 28], environment: "CRDT_FUZZ_SEEDS") {
            var simulator = Simulator(seed: seed, replicaCount: 4)
            try simulator.run(steps: 60)
            simulator.syncAll()
            let reference = simulator.replicas[0]
            let replay = Document(replica: ReplicaID(0xFACE))
            for change in reference.history {
                #expect(replay.requiredStartOp(for: change) == change.startOp, "seed \(seed): \(change.id)\n\(simulator.tail())")
                #expect(replay.apply([change]).applied == [change.id], "seed \(seed): \(change.id)")
            }
            #expect(try replay.materialize() == reference.materialize(), "seed \(seed)")
        }
    }
}
