import Testing
@testable import CRDT
import TestSupport

/// The index from element id to run, checked against naive models: a linear scan over
/// the runs, and a plain array of every element (``SequenceModel``), under random inserts,
/// splits and deletes. Pinned seeds run by default; `CRDT_FUZZ_SEEDS=N` runs seeds 1...N,
/// `TEST_SEED=n` seed n alone. Every failure names its seed.
@Suite("Run index under random splits, inserts and deletes")
struct RunIndexTests {
    static let pinnedSeeds: [UInt64] = [1, 2, 42, 2026]

    @Test(arguments: RepeatableRandom.seeds(pinned: pinnedSeeds, countVariable: "CRDT_FUZZ_SEEDS"))
    func lookupsMatchALinearScan(seed: UInt64) {
        var random = RepeatableRandom(seed: seed)
        let leaf = SequenceNode(isLeaf: true)
        // Three replicas' counter ranges cut into random pieces, indexed in random order,
        // so pieces land before, between and after the ones already there.
        var runs: [Run] = []
        for replica in 1...3 {
            var counter = UInt64(1 + random.int(0..<5))
            while runs.count < replica * 1_000 {
                let count = random.int(1..<20)
                runs.append(Run(start: OpID(counter: counter, replica: ReplicaID(UInt64(replica))), count: count,
                                isVisible: true, scalars: [], leaf: leaf))
                counter += UInt64(count + (random.chance(20) ? random.int(1..<4) : 0))
            }
        }
        runs.shuffle(using: &random)
        var index = RunIndex()
        for (number, run) in runs.enumerated() {
            index.insert(run)
            if number % 1_000 == 0 || number == runs.count - 1 {
                for _ in 0..<100 {
                    let id = OpID(counter: UInt64(random.int(0..<22_000)), replica: ReplicaID(UInt64(random.int(0..<5))))
                    var expected: Run?
                    for run in runs[...number] where run.start.replica == id.replica && run.start.counter <= id.counter && id.counter < run.endCounter {
                        expected = run
                    }
                    let found = index.run(containing: id)
                    #expect(found === expected, "seed \(seed): after \(number + 1) inserts, \(id) found in \(found?.start.description ?? "none"), expected \(expected?.start.description ?? "none")")
                    if found !== expected { return }
                }
            }
        }
        withExtendedLifetime(leaf) {}
        let ordered = index.allRuns()
        #expect(ordered.count == runs.count, "seed \(seed)")
        #expect(zip(ordered, ordered.dropFirst()).allSatisfy { RunIndexNode.precedes($0.start, $1.start) }, "seed \(seed): index out of order")
    }

    @Test(arguments: RepeatableRandom.seeds(pinned: pinnedSeeds, countVariable: "CRDT_FUZZ_SEEDS"))
    func textEditsMatchAModel(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let a = Document(replica: alice)
        var text = ObjectID.root
        try a.change { text = try $0.putObject(.root, "notes", .text) }
        let b = Document(replica: bob, changes: a.history)
        var model = SequenceModel()
        let words: [[Unicode.Scalar]] = ["x", "ab", "é🚗", "tradé-in", "🚙"].map { Array($0.unicodeScalars) }
        for step in 0..<700 {
            // Both authors edit in turn and every change is delivered at once, so runs of two
            // replicas interleave while the model's "right after the origin" stays exact.
            let (author, reader) = random.chance(50) ? (a, b) : (b, a)
            let length = model.visibleCount
            let at = random.int(0..<(length + 1))
            let deleteCount = length > at && random.chance(45) ? random.int(1..<(min(12, length - at) + 1)) : 0
            var inserted: [Unicode.Scalar] = []
            if deleteCount == 0 || random.chance(30) {
                inserted = random.chance(15)
                    ? (0..<random.int(20..<80)).map { _ in Unicode.Scalar(UInt8(97 + random.int(0..<26))) }
                    : words[random.int(0..<words.count)]
            }
            var string = String.UnicodeScalarView()
            string.append(contentsOf: inserted)
            let change = try #require(try author.change { try $0.splice(text, at: at, delete: deleteCount, insert: String(string)) })
            reader.apply([change])
            model.delete(atVisible: at, count: deleteCount)
            if !inserted.isEmpty, let first = change.opIDs.last {
                model.insert(inserted.enumerated().map { .init(id: first.advanced(by: UInt64($0)), scalar: $1) }, atVisible: at)
            }
            if step % 100 == 99 {
                for (name, doc) in [("alice", a), ("bob", b)] {
                    let problems = model.differences(from: try #require(doc.sequenceObject(text)))
                    #expect(problems.isEmpty, "seed \(seed), step \(step), \(name): \(problems.prefix(5))")
                    #expect(try doc.text(text) == model.text, "seed \(seed), step \(step), \(name)")
                    let utf16 = model.text.utf16.count
                    #expect(try doc.utf16Length(text) == utf16, "seed \(seed), step \(step), \(name)")
                    if !problems.isEmpty { return }
                }
            }
        }
        // Positions convert both ways as String does.
        let content = model.text
        for _ in 0..<50 {
            let scalarIndex = random.int(0..<(content.unicodeScalars.count + 1))
            let utf16 = content.unicodeScalars.prefix(scalarIndex).reduce(0) { $0 + ($1.value > 0xFFFF ? 2 : 1) }
            #expect(try a.utf16Offset(text, scalarIndex: scalarIndex) == utf16, "seed \(seed)")
            #expect(try a.scalarIndex(text, utf16Offset: utf16) == scalarIndex, "seed \(seed)")
        }
    }

    @Test(arguments: RepeatableRandom.seeds(pinned: pinnedSeeds, countVariable: "CRDT_FUZZ_SEEDS"))
    func listEditsMatchAModel(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let a = Document(replica: alice)
        var list = ObjectID.root
        try a.change { list = try $0.putObject(.root, "records", .list) }
        let b = Document(replica: bob, changes: a.history)
        var model = SequenceModel()
        var nextValue: Int64 = 0
        for step in 0..<700 {
            let (author, reader) = random.chance(50) ? (a, b) : (b, a)
            let length = model.visibleCount
            var inserts: [(at: Int, value: Int64)] = []
            var removals: [Int] = []
            if length > 0 && random.chance(45) {
                // Remove a few elements in one change, in a random order.
                var remaining = length
                for _ in 0..<min(random.int(1..<6), length) {
                    removals.append(random.int(0..<remaining))
                    remaining -= 1
                }
            } else {
                // Append a batch in one change: one run, extended in place.
                let at = random.int(0..<(length + 1))
                let count = random.chance(20) ? random.int(10..<60) : random.int(1..<4)
                inserts = (0..<count).map { (at + $0, { nextValue += 1; return nextValue }()) }
            }
            let change = try #require(try author.change { tx in
                for at in removals { try tx.remove(list, at: at) }
                for (at, value) in inserts { try tx.insert(list, at: at, .int(value)) }
            })
            reader.apply([change])
            for at in removals { model.delete(atVisible: at, count: 1) }
            if let at = inserts.first?.at {
                // Each insert of the batch goes straight after the one before it.
                model.insert(zip(inserts, change.opIDs).map { .init(id: $1, value: $0.value) }, atVisible: at)
            }
            if step % 100 == 99 {
                for (name, doc) in [("alice", a), ("bob", b)] {
                    let problems = model.differences(from: try #require(doc.sequenceObject(list)))
                    #expect(problems.isEmpty, "seed \(seed), step \(step), \(name): \(problems.prefix(5))")
                    #expect(try doc.values(list) == model.visible.map { .scalar(.int($0.value!)) }, "seed \(seed), step \(step), \(name)")
                    if !problems.isEmpty { return }
                }
            }
        }
    }

    /// One long run (a text pasted at once, a list filled by one change), then one received
    /// change deleting its elements one op each, in each order the benchmark uses.
    @Test(arguments: ["ascending", "descending", "alternate", "random"], [ObjectKind.text, .list])
    func oneRemoteChangeDeletesALongRunElementByElement(order: String, kind: ObjectKind) throws {
        let count = 700
        let author = Document(replica: alice)
        var object = ObjectID.root
        try author.change { tx in
            object = try tx.putObject(.root, "items", kind)
            if kind == .text {
                try tx.splice(object, at: 0, insert: String(repeating: "ab🚗", count: count / 3) + "z")
            } else {
                for index in 0..<count { try tx.insert(object, at: index, .int(Int64(index))) }
            }
        }
        let receiver = Document(replica: bob, changes: author.history)
        let first = OpID(counter: author.history[0].startOp + 1, replica: alice)
        var ids = (0..<count).map { first.advanced(by: UInt64($0)) }
        switch order {
        case "descending": ids.reverse()
        case "alternate": ids = ids.enumerated().filter { $0.offset % 2 == 0 }.map(\.element) + ids.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        case "random": var random = RepeatableRandom(seed: 5); ids.shuffle(using: &random)
        default: break
        }
        var model = SequenceModel()
        model.insert(ids.sorted().map { .init(id: $0, scalar: nil) }, atVisible: 0)
        let ops = ids.map { id in
            Op(object: object, action: kind == .text ? .deleteRun(start: id, count: 1) : .delete(.element(id), pred: [id]))
        }
        let change = Change(replica: alice, seq: 2, startOp: author.maxCounter + 1, deps: VersionVector(), metadata: [], ops: ops)
        // Apply in halves, so that the model is compared with a half-deleted run too.
        let half = Change(replica: alice, seq: 2, startOp: change.startOp, deps: VersionVector(), metadata: [], ops: Array(ops.prefix(count / 2)))
        let probe = Document(replica: carol, changes: author.history)
        #expect(probe.apply([half]).applied == [half.id])
        for id in ids.prefix(count / 2) { model.delete(id: id) }
        let problems = model.differences(from: try #require(probe.sequenceObject(object)))
        #expect(problems.isEmpty, "\(order) \(kind), half applied: \(problems.prefix(5))")
        #expect(receiver.apply([change]).applied == [change.id])
        #expect(try receiver.length(object) == 0)
        #expect(receiver.sequenceInvariantViolations().isEmpty, "\(order) \(kind): \(receiver.sequenceInvariantViolations())")
    }

    @Test(arguments: RepeatableRandom.seeds(pinned: [11, 12, 13, 14, 15], countVariable: "CRDT_FUZZ_SEEDS"))
    func invariantsHoldAfterRandomConvergence(seed: UInt64) throws {
        var simulator = Simulator(seed: seed, replicaCount: 3)
        try simulator.run(steps: 150)
        simulator.syncAll()
        for (number, replica) in simulator.replicas.enumerated() {
            let problems = replica.sequenceInvariantViolations()
            #expect(problems.isEmpty, "seed \(seed), replica \(number): \(problems)\n\(simulator.tail())")
        }
    }
}
