/// Writes ops in the compact form shared by change, batch and snapshot blobs.
///
/// Op ids are written relative to the id of the op being written (a zigzag LEB128 counter
/// delta and an actor-table index), so the common case, "after the character I just
/// typed", costs two bytes. An op on the same object as the op before it sets bit 7 of its
/// tag and omits the object.
struct OpEncoder {
    let actors: [ReplicaID: Int]
    var writer = ByteWriter()
    /// A change batch of version 2 writes map keys as indexes into its key table.
    var keys: [String: Int]?
    private var previousObject: ObjectID?

    init(actors: [ReplicaID: Int]) {
        self.actors = actors
    }

    mutating func resetContext() { previousObject = nil }

    /// Writes an op count (unless `count` is false: the reader knows it) and the ops.
    mutating func ops(_ ops: [Op], startOp: UInt64, author: ReplicaID, count: Bool = true) {
        if count { writer.uleb(ops.count) }
        // Wrapping on purpose: counters past the range only come from a change built by hand
        // out of range, whose startOp or op counters the decoder refuses whatever is written.
        var counter = startOp
        for op in ops {
            let current = OpID(counter: counter, replica: author)
            write(op, current: current)
            counter &+= op.width
        }
    }

    private mutating func write(_ op: Op, current: OpID) {
        let same = previousObject == op.object
        previousObject = op.object
        let (tag, key): (UInt8, Key?) = switch op.action {
        case .set(let key, _, _): (key.isMap ? 0 : 3, key)
        case .delete(let key, _): (key.isMap ? 1 : 4, key)
        case .increment(let key, _, _): (key.isMap ? 2 : 5, key)
        case .insert: (6, nil)
        case .insertText: (7, nil)
        case .deleteRun: (8, nil)
        }
        writer.byte(tag | (same ? 0x80 : 0))
        if !same { optionalRef(op.object.isRoot ? nil : op.object.op, current) }
        switch key {
        case .map(let name):
            if let keys { writer.uleb(keys[name]!) } else { writer.string(name) }
        case .element(let element): ref(element, current)
        case nil: break
        }
        switch op.action {
        case .set(_, let value, let pred):
            self.value(value)
            refs(pred, current)
        case .delete(_, let pred):
            refs(pred, current)
        case .increment(_, let counter, let delta):
            ref(counter, current)
            writer.sleb(delta)
        case .insert(let origin, let value):
            optionalRef(origin, current)
            self.value(value)
        case .insertText(let origin, let scalars):
            optionalRef(origin, current)
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars)
            writer.string(String(text))
        case .deleteRun(let start, let count):
            ref(start, current)
            writer.uleb(count)
        }
    }

    mutating func ref(_ id: OpID, _ current: OpID) {
        writer.sleb(Int64(bitPattern: current.counter &- id.counter))
        writer.uleb(actors[id.replica]!)
    }

    /// 0 for none (the head of a list, or the root object), else 1 + the zigzag delta.
    mutating func optionalRef(_ id: OpID?, _ current: OpID) {
        guard let id else { writer.byte(0); return }
        let delta = Int64(bitPattern: current.counter &- id.counter)
        let zigzag = UInt64(bitPattern: (delta << 1) ^ (delta >> 63))
        // Only an id 2⁶³ counters from the op (outside every valid range) has no encoding;
        // writing it as 0 would turn it into "none", so that is misuse, not input.
        precondition(zigzag < .max, "op id \(id) is outside the op counter range (1...\(Change.maximumCounter)) and cannot be encoded")
        writer.uleb(zigzag + 1)
        writer.uleb(actors[id.replica]!)
    }

    mutating func refs(_ ids: [OpID], _ current: OpID) {
        writer.uleb(ids.count)
        for id in ids { ref(id, current) }
    }

    mutating func value(_ value: NewValue) {
        switch value {
        case .object(let kind): writer.byte(16 + kind.rawValue)
        case .scalar(let scalar):
            writer.byte(UInt8(SnapshotValue.tag(of: scalar)))
            SnapshotValue.writePayload(of: scalar, to: &writer)
        }
    }
}

extension Key {
    var isMap: Bool {
        if case .map = self { return true }
        return false
    }
}

/// Reads what ``OpEncoder`` writes, refusing anything out of range.
struct OpDecoder {
    let actors: [ReplicaID]
    var reader: ByteReader
    /// A change batch of version 2: map keys are indexes into this table.
    var keys: [String]?
    private var previousObject: ObjectID?

    init(actors: [ReplicaID], reader: ByteReader) {
        self.actors = actors
        self.reader = reader
    }

    mutating func resetContext() { previousObject = nil }

    /// Reads an op count and the ops of a change starting at `startOp` (already checked to
    /// lie in `1...Change.maximumCounter`).
    ///
    /// Refuses, before reserving anything, more than ``Change/maximumOps`` ops; refuses an
    /// op that takes the change past ``Change/maximumWidth`` counters (a text insert's
    /// scalars are counted before they are copied out) or its end past
    /// ``Change/maximumCounter``.
    ///
    /// - Parameter known: the op count when the encoding leaves it out (a batch of version 2
    ///   says "one op" in the change's header).
    mutating func ops(startOp: UInt64, author: ReplicaID, known: Int? = nil) throws(DecodeError) -> [Op] {
        let countOffset = reader.offset
        let count: Int
        if let known { count = known } else { count = try reader.count("op") }
        guard count >= 1 else { throw reader.invalid("a change holds no ops") }
        guard count <= Change.maximumOps else {
            throw DecodeError.invalid(offset: countOffset, reason: "a change of \(count) ops; a change may hold at most \(Change.maximumOps) (Change.maximumOps)")
        }
        var ops: [Op] = []
        ops.reserveCapacity(min(count, 1_024))
        var counter = startOp
        var width: UInt64 = 0
        for _ in 0..<count {
            let opOffset = reader.offset
            let op = try read(current: OpID(counter: counter, replica: author), widthLeft: Change.maximumWidth - width)
            width += op.width
            guard counter <= Change.maximumCounter - op.width else {
                throw DecodeError.invalid(offset: opOffset, reason: "op counters pass \(Change.maximumCounter) (Change.maximumCounter)")
            }
            counter += op.width
            ops.append(op)
        }
        return ops
    }

    /// Reads one op whose id is `current`; a text insert may use at most `widthLeft` counters.
    private mutating func read(current: OpID, widthLeft: UInt64) throws(DecodeError) -> Op {
        guard widthLeft >= 1 else {
            throw reader.invalid("the change passes \(Change.maximumWidth) op counters (Change.maximumWidth)")
        }
        let tagByte = try reader.byte()
        let tag = tagByte & 0x7F
        guard tag <= 8 else { throw reader.invalid("unknown op tag \(tag)") }
        let object: ObjectID
        if tagByte & 0x80 != 0 {
            guard let previous = previousObject else { throw reader.invalid("'same object' on the first op") }
            object = previous
        } else {
            object = try optionalRef(current).map(ObjectID.init) ?? .root
        }
        previousObject = object
        let action: Op.Action
        switch tag {
        case 0: action = .set(.map(try mapKey()), try value(), pred: try refs(current))
        case 1: action = .delete(.map(try mapKey()), pred: try refs(current))
        case 2: action = .increment(.map(try mapKey()), counter: try ref(current), by: try reader.sleb())
        case 3: action = .set(.element(try ref(current)), try value(), pred: try refs(current))
        case 4: action = .delete(.element(try ref(current)), pred: try refs(current))
        case 5: action = .increment(.element(try ref(current)), counter: try ref(current), by: try reader.sleb())
        case 6: action = .insert(after: try optionalRef(current), try value())
        case 7:
            let origin = try optionalRef(current)
            let textOffset = reader.offset
            let text = try reader.string().unicodeScalars
            guard !text.isEmpty else { throw DecodeError.invalid(offset: textOffset, reason: "empty text insert") }
            guard UInt64(text.count) <= widthLeft else {
                throw DecodeError.invalid(offset: textOffset, reason: "a text insert of \(text.count) scalars takes the change past \(Change.maximumWidth) op counters (Change.maximumWidth)")
            }
            action = .insertText(after: origin, Array(text))
        default:
            let start = try ref(current)
            let countOffset = reader.offset
            let count = try reader.uleb()
            guard count >= 1 && count <= UInt64(Int32.max) else {
                throw DecodeError.invalid(offset: countOffset, reason: "delete count \(count) out of range 1...\(Int32.max)")
            }
            guard count - 1 <= Change.maximumCounter - start.counter else {
                throw DecodeError.invalid(offset: countOffset, reason: "delete run \(start) + \(count) passes op counter \(Change.maximumCounter) (Change.maximumCounter)")
            }
            action = .deleteRun(start: start, count: count)
        }
        return Op(object: object, action: action)
    }

    /// A map key: a string, or an index into the batch's key table.
    private mutating func mapKey() throws(DecodeError) -> String {
        guard let keys else { return try reader.string() }
        return keys[try reader.uleb(max: keys.count - 1, "key index")]
    }

    private mutating func actor() throws(DecodeError) -> ReplicaID {
        actors[try reader.uleb(max: actors.count - 1, "actor index")]
    }

    mutating func ref(_ current: OpID) throws(DecodeError) -> OpID {
        let delta = try reader.sleb()
        return try resolve(delta, current)
    }

    mutating func optionalRef(_ current: OpID) throws(DecodeError) -> OpID? {
        let raw = try reader.uleb()
        if raw == 0 { return nil }
        let zigzag = raw - 1
        return try resolve(Int64(bitPattern: (zigzag >> 1) ^ (0 &- (zigzag & 1))), current)
    }

    /// The id `delta` counters before `current` (after it when negative); its counter must
    /// lie in `1...Change.maximumCounter`. Checked arithmetic: a delta that would pass 0 or
    /// `UInt64.max` is refused like any other out-of-range id.
    private mutating func resolve(_ delta: Int64, _ current: OpID) throws(DecodeError) -> OpID {
        let counter: (partialValue: UInt64, overflow: Bool) = delta >= 0
            ? current.counter.subtractingReportingOverflow(UInt64(delta))
            : current.counter.addingReportingOverflow(delta.magnitude)
        guard !counter.overflow, counter.partialValue >= 1, counter.partialValue <= Change.maximumCounter else {
            throw reader.invalid("op id \(current.counter) - (\(delta)) is outside counters 1...\(Change.maximumCounter)")
        }
        return OpID(counter: counter.partialValue, replica: try actor())
    }

    mutating func refs(_ current: OpID) throws(DecodeError) -> [OpID] {
        let count = try reader.count("pred")
        var ids: [OpID] = []
        ids.reserveCapacity(min(count, 64))
        for _ in 0..<count { ids.append(try ref(current)) }
        return ids
    }

    mutating func value() throws(DecodeError) -> NewValue {
        let tag = try reader.byte()
        if let kind = tag >= 16 ? ObjectKind(rawValue: tag - 16) : nil { return .object(kind) }
        return .scalar(try SnapshotValue.read(tag: Int(tag), bytes: &reader))
    }
}
