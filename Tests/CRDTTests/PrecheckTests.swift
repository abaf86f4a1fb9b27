import Testing
@testable import CRDT

/// A received change that would fail halfway is refused before any of its ops is applied,
/// so refusing it never costs a rebuild of the document.
@Suite("Changes checked before they are applied")
struct PrecheckTests {
    /// A document with a text "hello", a list with one element and a counter, made by alice.
    private func base() throws -> (Document, text: ObjectID, list: ObjectID) {
        let doc = Document(replica: alice)
        var text = ObjectID.root
        var list = ObjectID.root
        try doc.change { tx in
            text = try tx.putObject(.root, "notes", .text)
            try tx.splice(text, at: 0, insert: "hello")
            list = try tx.putObject(.root, "items", .list)
            try tx.insert(list, at: 0, "first")
            try tx.put(.root, "views", .counter(0))
        }
        return (doc, text, list)
    }

    /// Bob's change on top of `doc`: valid ops first, then `last`.
    private func forged(on doc: Document, _ valid: [Op], then last: Op) -> Change {
        Change(replica: bob, seq: 1, startOp: doc.maxCounter + 1, deps: doc.version, metadata: [], ops: valid + [last])
    }

    @Test func aChangeWhoseLastOpFailsIsRefusedWithoutARebuild() throws {
        let (doc, text, list) = try base()
        let receiver = Document(replica: carol, changes: doc.history)
        let start = receiver.maxCounter + 1
        let valid = [Op(object: text, action: .insertText(after: nil, Array("x".unicodeScalars))),
                     Op(object: list, action: .insert(after: nil, .scalar("second")))]
        let rootSet = OpID(counter: doc.history[0].startOp + 8, replica: alice)  // the counter put: not an element
        let cases: [Op] = [
            Op(object: text, action: .deleteRun(start: rootSet, count: 1)),
            Op(object: list, action: .delete(.element(rootSet), pred: [])),
            Op(object: .root, action: .increment(.map("notes"), counter: rootSet, by: 1)),
            Op(object: ObjectID(rootSet), action: .set(.map("k"), .scalar(.int(1)), pred: [])),
            Op(object: list, action: .insertText(after: nil, Array("y".unicodeScalars))),
        ]
        for last in cases {
            let change = forged(on: receiver, valid, then: last)
            #expect(change.startOp == start)
            let before = (try receiver.text(text), try receiver.values(list))
            let report = receiver.apply([change])
            #expect(report.refused.count == 1, "\(last) was not refused")
            #expect(receiver.rebuilds == 0, "\(last) cost a rebuild")
            #expect(try receiver.text(text) == before.0)
            #expect(try receiver.values(list) == before.1)
        }
    }

    @Test func whatAChangeMakesItMayUseAtOnce() throws {
        let (doc, _, _) = try base()
        let author = doc.fork(as: bob)
        try author.change { tx in
            let list = try tx.putObject(.root, "drivers", .list)
            try tx.insert(list, at: 0, .counter(1))
            try tx.increment(list, at: 0, by: 2)
            let note = try tx.putObject(.root, "memo", .text)
            try tx.splice(note, at: 0, insert: "abcdef")
            try tx.splice(note, at: 1, delete: 3)
            try tx.put(.root, "score", .counter(5))
            try tx.increment(.root, "score", by: 1)
        }
        let receiver = Document(replica: carol, changes: doc.history)
        let report = receiver.apply(author.changes(since: doc.version))
        #expect(report.refused.isEmpty, "\(report.refused)")
        #expect(receiver.rebuilds == 0)
        guard case .object(let memo, _)? = try receiver.get(.root, "memo") else {
            Issue.record("no memo")
            return
        }
        #expect(try receiver.text(memo) == "aef")
        #expect(try receiver.get(.root, "score") == .scalar(.counter(6)))
    }
}
