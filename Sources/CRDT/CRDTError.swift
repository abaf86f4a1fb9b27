/// What the document engine refuses, and why.
///
/// Misuse within the process (a negative index, an unknown object) is reported as an error
/// rather than a trap, because positions and object ids often come from user input. Every
/// case says what was wrong; its `description` says what to do.
public enum CRDTError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No object with this id exists in the document.
    case noSuchObject(ObjectID)
    /// The object is of another kind than the operation needs.
    case wrongObjectKind(ObjectID, expected: ObjectKind, actual: ObjectKind)
    /// A list or text position outside `0...length`.
    case indexOutOfRange(ObjectID, index: Int, length: Int)
    /// The key or element holds no counter to increment.
    case notACounter(ObjectID, Key)
    /// A received change is malformed or refers to ops outside its causal past; it was not
    /// applied. `reason` says which op and why.
    case invalidChange(ChangeID, reason: String)
    /// A local edit would take its change past ``Change/maximumOps`` ops or
    /// ``Change/maximumWidth`` op counters, which no replica accepts; the edit was not made.
    /// `ops` and `width` are what the change would have held with it.
    case changeTooLarge(ops: Int, width: UInt64)
    /// A horizon to compact at that this document cannot use; `reason` says why.
    case invalidHorizon(VersionVector, reason: String)
    /// The document's history starts after a horizon, and what was asked needs the changes
    /// before it (a version 1 snapshot holds the whole history).
    case compacted(Horizon)

    public var description: String {
        switch self {
        case .noSuchObject(let id):
            "no object \(id) in this document; object ids come from putObject/insertObject or a received change"
        case .wrongObjectKind(let id, let expected, let actual):
            "object \(id) is a \(actual), not a \(expected)"
        case .indexOutOfRange(let id, let index, let length):
            "index \(index) is outside \(id), which has \(length) elements (valid: 0...\(length))"
        case .notACounter(let id, let key):
            "\(key) of object \(id) holds no counter; put ScalarValue.counter first"
        case .invalidChange(let change, let reason):
            "change \(change) was refused: \(reason)"
        case .changeTooLarge(let ops, let width):
            "the change would hold \(ops) ops using \(width) op counters; a change may hold at most \(Change.maximumOps) ops and \(Change.maximumWidth) counters: commit the edits made so far and make the rest in another change"
        case .invalidHorizon(let horizon, let reason):
            "cannot compact at \(horizon): \(reason)"
        case .compacted(let horizon):
            "the document's history starts after \(horizon.seqs): the changes before it were compacted away, so it can only be sent as a snapshot of format version 2 or later"
        }
    }
}
