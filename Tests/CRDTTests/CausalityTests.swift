import Testing
@testable import CRDT

@Suite("Causality, atomicity and the change log")
struct CausalityTests {
    @Test func aChangeWaitsForItsDependenciesAndIsAppliedWhenTheyArrive() throws {
        let a = Document(replica: alice)
        try a.change { try $0.put(.root, "stage", "vehicle") }
        try a.change { try $0.put(.root, "stage", "credit") }
        let b = Document(replica: bob)
        let changes = a.history
        let first = b.apply([changes[1]])
        #expect(first.applied.isEmpty)
        #expect(first.pending == [changes[1].id])
        #expect(try b.get(.root, "stage") == nil)
        let second = b.apply([changes[0]])
        #expect(second.applied == [changes[0].id, changes[1].id])
        #expect(b.pendingChanges.isEmpty)
        #expect(try b.get(.root, "stage") == .scalar("credit"))
    }

    @Test func crossReplicaDependencyIsHeldBack() throws {
        let a = Document(replica: alice)
        var list = ObjectID.root
        try a.change { list = try $0.putObject(.root, "items", .list) }
        let b = a.fork(as: bob)
        try b.change { try $0.insert(list, at: 0, "from bob") }
        let c = Document(replica: carol)
        #expect(c.apply(b.changes(since: VersionVector([alice: 1]))).pending.count == 1)
        c.apply(a.history)
        #expect(try c.values(list) == [.scalar("from bob")])
    }

    @Test func duplicatesAreIgnored() throws {
        let a = Document(replica: alice)
        try a.change { try $0.put(.root, "views", .counter(0)) }
        try a.change { try $0.increment(.root, "views", by: 1) }
        let b = Document(replica: bob)
        b.apply(a.history + a.history)
        let again = b.apply(a.history)
        #expect(again.duplicates.count == 2)
        #expect(try b.get(.root, "views") == .scalar(.counter(1)))
    }

    @Test func aTransactionThatThrowsLeavesNoTrace() throws {
        struct Abort: Error {}
        let doc = Document(replica: alice)
        var text = ObjectID.root
        try doc.change { tx in
            text = try tx.putObject(.root, "notes", .text)
            try tx.splice(text, at: 0, insert: "kept")
        }
        let before = try doc.materialize()
        let version = doc.version
        #expect(throws: Abort.self) {
            try doc.change { tx in
                try tx.put(.root, "price", .int(5))
                try tx.splice(text, at: 4, insert: " lost")
                try tx.splice(text, at: 0, delete: 2)
                throw Abort()
            }
        }
        #expect(try doc.materialize() == before)
        #expect(doc.version == version)
        // The next change reuses nothing of the abandoned one and syncs cleanly.
        try doc.change { try $0.splice(text, at: 4, insert: "!") }
        let copy = Document(replica: bob, changes: doc.history)
        #expect(try copy.text(text) == "kept!")
    }

    @Test func changesSinceGivesExactlyWhatAPeerLacks() throws {
        let a = Document(replica: alice)
        let b = Document(replica: bob)
        try a.change { try $0.put(.root, "a", 1) }
        try b.change { try $0.put(.root, "b", 1) }
        sync(b, into: a)
        try a.change { try $0.put(.root, "a", 2) }
        let missing = a.changes(since: b.version)
        #expect(missing.map(\.id) == [ChangeID(replica: alice, seq: 1), ChangeID(replica: alice, seq: 2)])
        #expect(a.changes(since: a.version).isEmpty)
    }

    @Test func metadataIsStoredAndReturnedUntouched() throws {
        let doc = Document(replica: alice)
        let metadata: [UInt8] = Array("user=ivan;role=sales;device=pc-1;channel=pc".utf8)
        let change = try doc.change(metadata: metadata) { try $0.put(.root, "x", 1) }
        #expect(change?.metadata == metadata)
        let copy = try Document(snapshot: doc.encodeSnapshot())
        #expect(copy.history.first?.metadata == metadata)
    }

    @Test func malformedChangesAreRefusedWholeAndChangeNothing() throws {
        let a = Document(replica: alice)
        var text = ObjectID.root
        try a.change { text = try $0.putObject(.root, "t", .text); try $0.splice(text, at: 0, insert: "abc") }
        let b = Document(replica: bob, changes: a.history)
        let before = try b.materialize()
        let ghost = OpID(counter: 500, replica: carol)
        let forged = Change(replica: alice, seq: 2, startOp: a.maxCounter + 1, deps: VersionVector(), metadata: [], ops: [
            Op(object: .root, action: .set(.map("ok"), .scalar(.int(1)), pred: [])),
            Op(object: text, action: .insertText(after: ghost, ["x"])),
        ])
        let report = b.apply([forged])
        #expect(report.applied.isEmpty)
        #expect(report.refused.count == 1)
        #expect(report.refused.first?.description.contains("\(ghost) is not in the change's causal past") == true)
        #expect(try b.materialize() == before)
        #expect(b.version == a.version)
        let stale = Change(replica: alice, seq: 2, startOp: 2, deps: VersionVector(), metadata: [], ops: [
            Op(object: .root, action: .set(.map("x"), .scalar(.int(1)), pred: [])),
        ])
        #expect(b.apply([stale]).refused.count == 1)
        // The genuine next change still applies after the refusals.
        try a.change { try $0.splice(text, at: 3, insert: "d") }
        #expect(b.apply(a.changes(since: b.version)).applied.count == 1)
        #expect(try b.text(text) == "abcd")
    }
}
