import Testing
@testable import CRDT

@Suite("Maps and registers")
struct MapTests {
    @Test func putGetOverwriteDelete() throws {
        let doc = Document(replica: alice)
        try doc.change { try $0.put(.root, "model", "Camry") }
        #expect(try doc.get(.root, "model") == .scalar("Camry"))
        try doc.change { try $0.put(.root, "model", "RAV4") }
        #expect(try doc.get(.root, "model") == .scalar("RAV4"))
        #expect(try doc.conflicts(.root, "model").count == 1)
        try doc.change { try $0.delete(.root, "model") }
        #expect(try doc.get(.root, "model") == nil)
        #expect(try doc.keys(.root) == [])
    }

    @Test func concurrentWritesAreAllKeptWithOneDeterministicWinner() throws {
        let a = Document(replica: alice)
        try a.change { try $0.put(.root, "price", .int(1_000)) }
        let b = a.fork(as: bob)
        try a.change { try $0.put(.root, "price", .int(2_000)) }
        try b.change { try $0.put(.root, "price", .int(3_000)) }
        syncBoth(a, b)
        let conflictsA = try a.conflicts(.root, "price")
        #expect(conflictsA == (try b.conflicts(.root, "price")))
        #expect(conflictsA.count == 2)
        #expect(Set(conflictsA.map(\.author)) == [alice, bob])
        // Equal counters: the greater replica id wins, on both sides.
        let winner = conflictsA.max { $0.id < $1.id }!
        #expect(try a.get(.root, "price") == winner.value)
        #expect(try b.get(.root, "price") == winner.value)
        #expect(conflictsA.first == winner)
    }

    @Test func aWriteThatHasSeenEveryValueResolvesTheConflict() throws {
        let a = Document(replica: alice)
        let b = Document(replica: bob)
        try a.change { try $0.put(.root, "downPayment", .int(300_000)) }
        try b.change { try $0.put(.root, "downPayment", .int(350_000)) }
        syncBoth(a, b)
        #expect(try a.conflicts(.root, "downPayment").count == 2)
        try b.change { try $0.put(.root, "downPayment", .int(320_000)) }
        syncBoth(a, b)
        #expect(try a.conflicts(.root, "downPayment").map(\.value) == [.scalar(.int(320_000))])
        #expect(try a.materialize() == b.materialize())
    }

    @Test func concurrentUpdateSurvivesConcurrentDelete() throws {
        let a = Document(replica: alice)
        try a.change { try $0.put(.root, "color", "white") }
        let b = a.fork(as: bob)
        try a.change { try $0.delete(.root, "color") }
        try b.change { try $0.put(.root, "color", "black") }
        syncBoth(a, b)
        #expect(try a.get(.root, "color") == .scalar("black"))
        #expect(try b.get(.root, "color") == .scalar("black"))
    }

    @Test func concurrentIncrementsAdd() throws {
        let a = Document(replica: alice)
        try a.change { try $0.put(.root, "views", .counter(10)) }
        let b = a.fork(as: bob)
        let c = a.fork(as: carol)
        try a.change { try $0.increment(.root, "views", by: 1) }
        try b.change { try $0.increment(.root, "views", by: 5) }
        try c.change { try $0.increment(.root, "views", by: -2) }
        syncBoth(a, b); syncBoth(b, c); syncBoth(a, c)
        for doc in [a, b, c] { #expect(try doc.get(.root, "views") == .scalar(.counter(14))) }
    }

    @Test func incrementSurvivesConcurrentDeleteInEitherOrder() throws {
        let base = Document(replica: alice)
        try base.change { try $0.put(.root, "views", .counter(1)) }
        let deleter = base.fork(as: bob)
        let incrementer = base.fork(as: carol)
        try deleter.change { try $0.delete(.root, "views") }
        try incrementer.change { try $0.increment(.root, "views", by: 2) }
        sync(deleter, into: incrementer)
        sync(incrementer, into: deleter)
        #expect(try deleter.get(.root, "views") == .scalar(.counter(3)))
        #expect(try incrementer.get(.root, "views") == .scalar(.counter(3)))
        // A delete that has seen the increment removes the counter for good.
        try deleter.change { try $0.delete(.root, "views") }
        syncBoth(deleter, incrementer)
        #expect(try incrementer.get(.root, "views") == nil)
    }

    @Test func nestedObjectsAndConcurrentObjectCreation() throws {
        let a = Document(replica: alice)
        let b = Document(replica: bob)
        try a.change { tx in
            let vehicle = try tx.putObject(.root, "vehicle", .map)
            try tx.put(vehicle, "model", "Camry")
        }
        try b.change { tx in
            let vehicle = try tx.putObject(.root, "vehicle", .map)
            try tx.put(vehicle, "trim", "Prestige")
        }
        syncBoth(a, b)
        #expect(try a.materialize() == b.materialize())
        #expect(try a.conflicts(.root, "vehicle").count == 2)
    }

    @Test func misuseThrowsClearErrors() throws {
        let doc = Document(replica: alice)
        let missing = ObjectID(OpID(counter: 99, replica: bob))
        #expect(throws: CRDTError.noSuchObject(missing)) { try doc.change { try $0.put(missing, "x", "y") } }
        #expect(throws: CRDTError.notACounter(.root, .map("n"))) { try doc.change { try $0.increment(.root, "n", by: 1) } }
        var list = ObjectID.root
        try doc.change { list = try $0.putObject(.root, "items", .list) }
        #expect(throws: CRDTError.wrongObjectKind(list, expected: .map, actual: .list)) {
            try doc.change { try $0.put(list, "x", "y") }
        }
        #expect(CRDTError.noSuchObject(missing).description.contains("no object"))
    }
}
