import CRDT
import DealCardKit
import Foundation
import Testing

/// One device editing deal documents as one author: a replica, its author metadata and the
/// editor for the author's role. The author's clock is set per edit so tests control time.
final class CardDevice {
    let document: Document
    var author: ChangeAuthor
    let editor: CardEditor
    let reader = CardReader(schema: .standard)

    init(_ replica: UInt64, user: String, role: Role, device: String? = nil, channel: Channel = .web,
         time: Int64 = CardTime.start, document: Document? = nil) {
        self.document = document?.fork(as: ReplicaID(replica)) ?? Document(replica: ReplicaID(replica))
        self.author = ChangeAuthor(user: user, role: role, device: device ?? "\(user)-device", channel: channel, time: time)
        self.editor = CardEditor(schema: .standard, role: role)
    }

    /// Makes one change with this device's author metadata (at `time`, if given).
    @discardableResult
    func edit(at time: Int64? = nil, _ body: (CardEditor, Document, Transaction) throws -> Void) throws -> Change? {
        if let time { author.time = time }
        let document = document
        let editor = editor
        return try document.change(metadata: author.encoded()) { tx in try body(editor, document, tx) }
    }

    /// Sets one field in a change of its own.
    @discardableResult
    func set(_ path: String, _ value: FieldValue, at time: Int64? = nil) throws -> Change? {
        try edit(at: time) { editor, document, tx in try editor.set(path, value, in: document, tx) }
    }

    /// The typed values, conflicts and skip markers of this device's document.
    func read(_ kind: DealDocumentKind = .shared)
        -> (values: [String: FieldValue], conflicts: [String: [FieldConflict]], skipped: Set<Stage>) {
        reader.read(document, kind: kind)
    }
}

/// Fixed wall-clock times for authors (milliseconds since 1970).
enum CardTime {
    /// 2025-06-15 09:00:00 UTC.
    static let start: Int64 = 1_749_978_000_000
    static func minutes(_ count: Int64) -> Int64 { start + count * 60_000 }
}

/// Sends each document the changes the other lacks, and checks that none was refused.
func cardExchange(_ a: Document, _ b: Document, sourceLocation: SourceLocation = #_sourceLocation) {
    let toB = a.changes(since: b.version)
    let toA = b.changes(since: a.version)
    let reportB = b.apply(toB)
    let reportA = a.apply(toA)
    #expect(reportA.refused.isEmpty && reportB.refused.isEmpty, sourceLocation: sourceLocation)
    #expect(reportA.pending.isEmpty && reportB.pending.isEmpty, sourceLocation: sourceLocation)
}

/// Values used across the card tests.
enum CardValues {
    static func rub(_ minorUnits: Int64) -> FieldValue { .money(minorUnits: minorUnits, currency: "RUB") }
    static func date(_ text: String) -> FieldValue { .date(CalendarDate(text)!) }
    static func record(_ fields: [String: FieldValue]) -> FieldValue { .record(fields) }
    static func message(_ text: String, by author: String) -> FieldValue { .record(["text": .text(text), "author": .text(author)]) }
    static func accessory(_ title: String, _ quantity: Int64, _ price: Int64) -> FieldValue {
        .record(["title": .text(title), "quantity": .integer(quantity), "price": rub(price)])
    }
}

/// The `WriteRefusal` thrown by `body`, or nil when it passed.
func cardRefusal(_ body: () throws -> Void) -> WriteRefusal? {
    do { try body() } catch let refusal as WriteRefusal { return refusal } catch { Issue.record("unexpected error \(error)") }
    return nil
}

/// The `CardError` thrown by `body`, or nil when it passed.
func cardError(_ body: () throws -> Void) -> CardError? {
    do { try body() } catch let error as CardError { return error } catch { Issue.record("unexpected error \(error)") }
    return nil
}
