import Testing
@testable import CRDT
import TestSupport

/// The Lamport rule (a change starts exactly one past its causal past's op counters) and the
/// size limits of one change, as ``Document/apply(_:)`` and ``Transaction`` enforce them.
@Suite("Counter rule and change limits")
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

    @Test(arguments: RepeatableRandom.seeds(pinned: [21, 22, 23, 24, 25, 26, 27, 28], countVariable: "CRDT_FUZZ_SEEDS"))
    func everyChangeOfRandomHonestWorkloadsFollowsTheRule(seed: UInt64) throws {
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

    // MARK: Limits of one change

    @Test func appliedChangesKeepToTheLimits() throws {
        let (doc, text) = try base()
        let floor = doc.maxCounter + 1
        func refusal(_ ops: [Op], startOp: UInt64? = nil) -> String? {
            let change = Change(replica: alice, seq: 3, startOp: startOp ?? floor, deps: VersionVector(), metadata: [], ops: ops)
            return doc.apply([change]).refused.first?.description
        }
        let tooMany = Array(repeating: Op(object: .root, action: .delete(.map("k"), pred: [])), count: Change.maximumOps + 1)
        #expect(refusal(tooMany)?.contains("holds 100001 ops; a change may hold at most 100000 (Change.maximumOps)") == true)
        let tooWide = [Op(object: text, action: .insertText(after: nil, Array(repeating: "a", count: Int(Change.maximumWidth) + 1)))]
        #expect(refusal(tooWide)?.contains("use 1000001 op counters; a change may use at most 1000000 (Change.maximumWidth)") == true)
        for startOp: UInt64 in [0, Change.maximumCounter, 1 << 62, 1 << 63, .max] {
            #expect(refusal(put("x"), startOp: startOp)?.contains("leave the range 1...\(Change.maximumCounter)") == true, "startOp \(startOp)")
        }
        #expect(try doc.text(text) == "hello")
        #expect(doc.version[alice] == 2)
    }

    @Test func counterArithmeticSaturatesInsteadOfTrapping() {
        let far = Change(replica: alice, seq: 1, startOp: .max, deps: VersionVector(), metadata: [], ops: put("x"))
        #expect(far.width == 1)
        #expect(far.endOp == .max)
        #expect(OpID(counter: .max - 1, replica: alice).advanced(by: 5).counter == .max)
        #expect(OpID(counter: 3, replica: alice).advanced(by: 4).counter == 7)
        let document = Document(replica: bob)
        #expect(document.requiredStartOp(for: far) == 1)
        #expect(document.apply([far]).refused.count == 1)
        // A delete run whose end passes the counter range names no element.
        let hugeRun = Change(replica: alice, seq: 1, startOp: 1, deps: VersionVector(), metadata: [], ops: [
            Op(object: .root, action: .deleteRun(start: OpID(counter: .max - 2, replica: alice), count: UInt64(Int32.max))),
        ])
        #expect(document.apply([hugeRun]).refused.count == 1)
    }

    @Test func aTransactionRefusesTheEditThatPassesALimit() throws {
        let doc = Document(replica: alice)
        var text = ObjectID.root
        try doc.change { text = try $0.putObject(.root, "notes", .text) }
        let paste = String(repeating: "a", count: Int(Change.maximumWidth))
        let change = try doc.change { tx in
            try tx.splice(text, at: 0, insert: "ok")
            #expect(throws: CRDTError.changeTooLarge(ops: 2, width: Change.maximumWidth + 2)) {
                try tx.splice(text, at: 0, insert: paste)
            }
            // The refused edit made nothing; the transaction goes on.
            try tx.splice(text, at: 2, insert: "!")
        }
        #expect(try doc.text(text) == "ok!")
        #expect(change?.ops.count == 2)
        #expect(CRDTError.changeTooLarge(ops: 2, width: 1_000_002).description == "the change would hold 2 ops using 1000002 op counters; a change may hold at most 100000 ops and 1000000 counters: commit the edits made so far and make the rest in another change")
        // A paste of exactly the limit is one change of maximumWidth counters, which every
        // replica accepts.
        let big = try #require(try doc.change { try $0.splice(text, at: 0, insert: paste) })
        #expect(big.width == Change.maximumWidth)
        let copy = Document(replica: bob, changes: doc.history)
        #expect(try copy.length(text) == Int(Change.maximumWidth) + 3)
        #expect(try Change(encoded: big.encoded()) == big)
    }

    @Test func spliceBoundsNeverOverflow() throws {
        let doc = Document(replica: alice)
        var text = ObjectID.root
        try doc.change { text = try $0.putObject(.root, "notes", .text); try $0.splice(text, at: 0, insert: "abc") }
        #expect(throws: CRDTError.indexOutOfRange(text, index: .max, length: 3)) { try doc.change { try $0.splice(text, at: 1, delete: .max) } }
        #expect(throws: CRDTError.indexOutOfRange(text, index: .max, length: 3)) { try doc.change { try $0.splice(text, at: .max, delete: 1) } }
        #expect(throws: CRDTError.indexOutOfRange(text, index: .min + 1, length: 3)) { try doc.change { try $0.splice(text, at: .min, delete: 1) } }
        #expect(throws: CRDTError.indexOutOfRange(text, index: 2, length: 3)) { try doc.change { try $0.splice(text, at: 2, delete: -5) } }
        #expect(try doc.text(text) == "abc")
    }
}
