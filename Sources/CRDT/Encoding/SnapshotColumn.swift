/// The columns of a version 2 snapshot, in the order they are written. `protocol-spec/`
/// (encoding.md, "Snapshot, version 2") says what each holds; the names appear in errors.
enum SnapshotColumn: Int, CaseIterable, Comparable, CustomStringConvertible {
    // History: one value per change, in canonical order.
    case changeAuthor, changeStart, changeOpCount, changeDepCount, changeDepActor, changeDepSeq, changeMetadata
    // History: one value per op (or per ref, pred, value), in change order.
    case opObject, opAction, opKey, opRefActor, opRefCounter, opPredCount, opWidth, opValueTag, opValueBytes
    // State: objects in ascending id order, the root first.
    case objectKind, objectActor, objectCounter, objectParent, objectKey, objectElementActor, objectElementCounter
    // State: maps' keys, and the registers of map keys and list elements.
    case mapKeyCount, mapKey, registerEntryCount, entryActor, entryCounter, entryValueTag, entryValueBytes
    case entryCounterFlags, entryLiveCount, entryLiveActor, entryLiveCounter
    // State: lists' and texts' runs in document order, and the texts' scalars.
    case sequenceRunCount, runActor, runStart, runCount, runVisible, textContent

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Columns whose values are zigzag coded (signed); the others are unsigned or raw.
    var isSigned: Bool {
        switch self {
        case .changeStart, .changeDepSeq, .opRefCounter, .objectCounter, .objectElementCounter, .entryCounter,
             .entryLiveCounter, .runStart:
            true
        default:
            false
        }
    }

    /// Columns of plain bytes rather than run-length coded integers.
    var isRaw: Bool { self == .opValueBytes || self == .entryValueBytes || self == .textContent }

    var description: String {
        switch self {
        case .changeAuthor: "change.author"
        case .changeStart: "change.start"
        case .changeOpCount: "change.opCount"
        case .changeDepCount: "change.depCount"
        case .changeDepActor: "change.depActor"
        case .changeDepSeq: "change.depSeq"
        case .changeMetadata: "change.metadata"
        case .opObject: "op.object"
        case .opAction: "op.action"
        case .opKey: "op.key"
        case .opRefActor: "op.refActor"
        case .opRefCounter: "op.refCounter"
        case .opPredCount: "op.predCount"
        case .opWidth: "op.width"
        case .opValueTag: "op.valueTag"
        case .opValueBytes: "op.valueBytes"
        case .objectKind: "object.kind"
        case .objectActor: "object.actor"
        case .objectCounter: "object.counter"
        case .objectParent: "object.parent"
        case .objectKey: "object.key"
        case .objectElementActor: "object.elementActor"
        case .objectElementCounter: "object.elementCounter"
        case .mapKeyCount: "map.keyCount"
        case .mapKey: "map.key"
        case .registerEntryCount: "register.entryCount"
        case .entryActor: "entry.actor"
        case .entryCounter: "entry.counter"
        case .entryValueTag: "entry.valueTag"
        case .entryValueBytes: "entry.valueBytes"
        case .entryCounterFlags: "entry.counterFlags"
        case .entryLiveCount: "entry.liveCount"
        case .entryLiveActor: "entry.liveActor"
        case .entryLiveCounter: "entry.liveCounter"
        case .sequenceRunCount: "sequence.runCount"
        case .runActor: "run.actor"
        case .runStart: "run.start"
        case .runCount: "run.count"
        case .runVisible: "run.visible"
        case .textContent: "text.content"
        }
    }
}

/// Scalar values as snapshot version 2 writes them: a tag in one column, the payload (if
/// any) in a byte column. The tags and payloads are those of ops in change blobs.
enum SnapshotValue {
    /// The tag of a register entry whose value is that of the op that wrote it (the op with
    /// the entry's id, in the history), so a value is stored once.
    static let fromTheOp = 15
    /// The greatest tag of a scalar written in full (0…8).
    static let maximumScalarTag = 8

    /// A scalar's tag in a tag column, its payload in `bytes`.
    static func write(_ scalar: ScalarValue, tags: inout ColumnWriter, bytes: inout ByteWriter) {
        tags.append(tag(of: scalar))
        writePayload(of: scalar, to: &bytes)
    }

    /// The tag of a scalar (0…8), the same in change blobs and snapshots.
    static func tag(of scalar: ScalarValue) -> Int {
        switch scalar {
        case .null: 0
        case .bool(let flag): flag ? 2 : 1
        case .int: 3
        case .double: 4
        case .string: 5
        case .bytes: 6
        case .counter: 7
        case .timestamp: 8
        }
    }

    /// The bytes after a scalar's tag (none for null and booleans).
    static func writePayload(of scalar: ScalarValue, to bytes: inout ByteWriter) {
        switch scalar {
        case .null, .bool: break
        case .int(let number), .counter(let number), .timestamp(let number): bytes.sleb(number)
        case .double(let number): bytes.uint64LE(number.bitPattern)
        case .string(let text): bytes.string(text)
        case .bytes(let data): bytes.lengthPrefixed(data)
        }
    }

    /// Reads a scalar whose tag (0…8) is read; a tag of 16… (objects) is the caller's.
    static func read(tag: Int, bytes: inout ByteReader) throws(DecodeError) -> ScalarValue {
        switch tag {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(try bytes.sleb())
        case 4: return .double(Double(bitPattern: try bytes.uint64LE()))
        case 5: return .string(try bytes.string())
        case 6: return .bytes(Array(try bytes.lengthPrefixed()))
        case 7: return .counter(try bytes.sleb())
        case 8: return .timestamp(try bytes.sleb())
        default: throw bytes.invalid("unknown value tag \(tag)")
        }
    }
}

extension ScalarValue {
    /// Whether this is a counter's starting value.
    var isCounter: Bool {
        if case .counter = self { return true }
        return false
    }
}
