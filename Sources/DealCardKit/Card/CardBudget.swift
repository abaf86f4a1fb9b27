import CRDT

/// What one change and one deal document may cost, checked before any work is done.
///
/// A deal card is small: a few dozen fields, some records, a conversation and notes typed
/// over weeks. The budgets are far above anything an honest device makes and low enough
/// that one hostile client cannot make the relay (or another device) spend memory or time
/// out of proportion: a change above them is refused whole, with code ``refusalCode``, and
/// never reaches the log. The device checks the same budgets before it makes an edit, so
/// an honest edit is never refused by the relay for its size.
public struct CardBudget: Sendable, Equatable {
    /// Bytes of one encoded change blob.
    public var changeBytes: Int
    /// Ops in one change.
    public var opsPerChange: Int
    /// UTF-8 bytes of one value: a text, date or enum field, a record's sub-field, or the
    /// scalars one text insert adds.
    public var valueBytes: Int
    /// Bytes of every stored change of one document together (what a snapshot of it weighs).
    public var documentBytes: Int
    /// Op counters one document may use in all (elements, tombstones and writes: with the
    /// Lamport rule a document's counters are dense, so this bounds its size in memory).
    public var documentOps: UInt64

    public init(changeBytes: Int, opsPerChange: Int, valueBytes: Int, documentBytes: Int, documentOps: UInt64) {
        self.changeBytes = changeBytes
        self.opsPerChange = opsPerChange
        self.valueBytes = valueBytes
        self.documentBytes = documentBytes
        self.documentOps = documentOps
    }

    /// The budgets every relay and device use unless configured otherwise.
    public static let standard = CardBudget(
        changeBytes: 1 << 20, opsPerChange: 10_000, valueBytes: 64 << 10, documentBytes: 8 << 20, documentOps: 100_000)

    /// The refusal code of a change over budget.
    public static let refusalCode = RefusalCode.tooLarge

    /// Checks what can be checked from the change alone: its size, its op count and every
    /// value it writes.
    ///
    /// - Complexity: O(ops + bytes of its values).
    /// - Throws: ``WriteRefusal`` with code `too_large`.
    public func check(_ change: Change, encodedBytes: Int) throws(WriteRefusal) {
        guard encodedBytes <= changeBytes else {
            throw over(nil, "the change is \(encodedBytes) bytes; a change may have at most \(changeBytes): split the edit into several changes")
        }
        guard change.ops.count <= opsPerChange else {
            throw over(nil, "the change has \(change.ops.count) ops; a change may have at most \(opsPerChange)")
        }
        for op in change.ops {
            switch op.action {
            case .set(_, .scalar(.string(let text)), _):
                guard text.utf8.count <= valueBytes else {
                    throw over(nil, "a value of \(text.utf8.count) bytes is written; a value may have at most \(valueBytes)")
                }
            case .insertText(_, let scalars):
                // Four bytes at most per scalar: check the count first, then the real size.
                if scalars.count > valueBytes / 4 {
                    let bytes = scalars.reduce(0) { $0 + UTF8.width($1) }
                    guard bytes <= valueBytes else {
                        throw over(nil, "one text insert adds \(bytes) bytes; an insert may add at most \(valueBytes)")
                    }
                }
            default:
                continue
            }
        }
    }

    /// Checks that a document holding `storedBytes` of changes and counters up to
    /// `maxCounter` can take `change` (encoded in `encodedBytes`).
    ///
    /// - Throws: ``WriteRefusal`` with code `too_large`.
    public func checkDocument(storedBytes: Int, maxCounter: UInt64, adding change: Change, encodedBytes: Int) throws(WriteRefusal) {
        guard storedBytes <= documentBytes - min(documentBytes, encodedBytes) else {
            throw over(nil, "the document holds \(storedBytes) bytes of changes; with this one it would pass its budget of \(documentBytes) bytes")
        }
        let width = change.ops.reduce(UInt64(0)) { $0 &+ $1.width }
        guard maxCounter <= documentOps, width <= documentOps - maxCounter else {
            throw over(nil, "the document has used \(maxCounter) op counters; with this change's \(width) it would pass its budget of \(documentOps)")
        }
    }

    private func over(_ path: String?, _ reason: String) -> WriteRefusal {
        WriteRefusal(code: CardBudget.refusalCode, path: path, reason: reason)
    }
}
