import Testing
@testable import CRDT
import TestSupport

@Suite("Lists and text")
struct SequenceTests {
    private func makeText(_ doc: Document, _ content: String = "") throws -> ObjectID {
        var text = ObjectID.root
        try doc.change { tx in
            text = try tx.putObject(.root, "notes", .text)
            if !content.isEmpty { try tx.splice(text, at: 0, insert: content) }
        }
        return text
    }

    @Test func spliceInsertsAndDeletes() throws {
        let doc = Document(replica: alice)
        let text = try makeText(doc, "Hello world")
        try doc.change { try $0.splice(text, at: 5, delete: 6, insert: ", buyer") }
        #expect(try doc.text(text) == "Hello, buyer")
        try doc.change { try $0.splice(text, at: 0, delete: 1, insert: "J") }
        #expect(try doc.text(text) == "Jello, buyer")
        #expect(try doc.length(text) == 12)
        #expect(throws: CRDTError.indexOutOfRange(text, index: 13, length: 12)) {
            try doc.change { try $0.splice(text, at: 13, insert: "x") }
        }
    }

    @Test func concurrentTypingAtOnePlaceDoesNotInterleave() throws {
        let a = Document(replica: alice)
        let text = try makeText(a, "Deal: ")
        let b = a.fork(as: bob)
        for character in "trade-in ok" {
            let at = try a.length(text)
            try a.change { try $0.splice(text, at: at, insert: String(character)) }
        }
        for character in "credit approved" {
            let at = try b.length(text)
            try b.change { try $0.splice(text, at: at, insert: String(character)) }
        }
        syncBoth(a, b)
        let merged = try a.text(text)
        #expect(merged == (try b.text(text)))
        #expect(merged == "Deal: trade-in okcredit approved" || merged == "Deal: credit approvedtrade-in ok")
    }

    @Test func concurrentDeletesOfOneRangeAndInsertInside() throws {
        let a = Document(replica: alice)
        let text = try makeText(a, "abcdefgh")
        let b = a.fork(as: bob)
        let c = a.fork(as: carol)
        try a.change { try $0.splice(text, at: 2, delete: 4) }
        try b.change { try $0.splice(text, at: 1, delete: 5) }
        try c.change { try $0.splice(text, at: 4, insert: "XY") }
        syncBoth(a, b); syncBoth(b, c); syncBoth(a, c)
        #expect(try a.text(text) == "aXYgh")
        #expect(try b.text(text) == "aXYgh")
        #expect(try c.text(text) == "aXYgh")
    }

    @Test func unicodeScalarIndexingAndUTF16Offsets() throws {
        let doc = Document(replica: alice)
        let text = try makeText(doc, "A🚗B é")
        #expect(try doc.length(text) == 5)
        #expect(try doc.utf16Length(text) == 6)
        #expect(try doc.utf16Offset(text, scalarIndex: 2) == 3)
        #expect(try doc.scalarIndex(text, utf16Offset: 3) == 2)
        #expect(try doc.scalarIndex(text, utf16Offset: 2) == 1)
        try doc.change { try $0.splice(text, at: 1, delete: 1, insert: "🚙🚕") }
        #expect(try doc.text(text) == "A🚙🚕B é")
        #expect(try doc.utf16Length(text) == 8)
    }

    @Test func listInsertSetRemove() throws {
        let doc = Document(replica: alice)
        var list = ObjectID.root
        try doc.change { tx in
            list = try tx.putObject(.root, "accessories", .list)
            try tx.insert(list, at: 0, "mats")
            try tx.insert(list, at: 1, "tow bar")
            try tx.insert(list, at: 1, "roof box")
        }
        #expect(try doc.values(list) == [.scalar("mats"), .scalar("roof box"), .scalar("tow bar")])
        try doc.change { tx in
            try tx.set(list, at: 0, "winter mats")
            try tx.remove(list, at: 1)
        }
        #expect(try doc.values(list) == [.scalar("winter mats"), .scalar("tow bar")])
        #expect(throws: CRDTError.indexOutOfRange(list, index: 2, length: 2)) { try doc.change { try $0.remove(list, at: 2) } }
    }

    @Test func listElementUpdateSurvivesConcurrentRemove() throws {
        let a = Document(replica: alice)
        var list = ObjectID.root
        try a.change { tx in
            list = try tx.putObject(.root, "drivers", .list)
            try tx.insert(list, at: 0, "Ivan")
            try tx.insert(list, at: 1, "Olga")
        }
        let b = a.fork(as: bob)
        try a.change { try $0.remove(list, at: 0) }
        try b.change { try $0.set(list, at: 0, "Ivan P.") }
        syncBoth(a, b)
        #expect(try a.values(list) == [.scalar("Ivan P."), .scalar("Olga")])
        #expect(try b.values(list) == [.scalar("Ivan P."), .scalar("Olga")])
    }

    @Test func concurrentListInsertsKeepEachAuthorsRunTogether() throws {
        let a = Document(replica: alice)
        var list = ObjectID.root
        try a.change { list = try $0.putObject(.root, "messages", .list) }
        let b = a.fork(as: bob)
        for (index, word) in ["a1", "a2", "a3"].enumerated() { try a.change { try $0.insert(list, at: index, .string(word)) } }
        for (index, word) in ["b1", "b2", "b3"].enumerated() { try b.change { try $0.insert(list, at: index, .string(word)) } }
        syncBoth(a, b)
        let values = try a.values(list).map { $0.scalar! }
        #expect(values == (try b.values(list).map { $0.scalar! }))
        let asText = values.map { if case .string(let s) = $0 { s } else { "?" } }.joined()
        #expect(asText == "a1a2a3b1b2b3" || asText == "b1b2b3a1a2a3")
    }

    @Test func largeTextSplitsTreeNodesAndStaysConsistent() throws {
        let doc = Document(replica: alice)
        let text = try makeText(doc)
        var mirror: [Unicode.Scalar] = []
        var random = RepeatableRandom(seed: 7)
        for step in 0..<3_000 {
            let length = mirror.count
            if length > 0 && random.chance(30) {
                let at = random.int(0..<length)
                let count = min(random.int(1..<4), length - at)
                try doc.change { try $0.splice(text, at: at, delete: count) }
                mirror.removeSubrange(at..<at + count)
            } else {
                let at = random.int(0..<(length + 1))
                let scalar = Unicode.Scalar(UInt8(97 + step % 26))
                try doc.change { try $0.splice(text, at: at, insert: String(Character(scalar))) }
                mirror.insert(scalar, at: at)
            }
        }
        var expected = String.UnicodeScalarView()
        expected.append(contentsOf: mirror)
        #expect(try doc.text(text) == String(expected))
        #expect(try Document(replica: bob, changes: doc.history).text(text) == String(expected))
    }
}
