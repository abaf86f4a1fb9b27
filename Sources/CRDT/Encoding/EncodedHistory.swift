/// The history of a version 2 snapshot, still in its columns: checked when the snapshot is
/// loaded, turned into `Change` values only when a caller asks for them.
///
/// One walk over the columns serves both: ``check(against:)`` reads every value, checks it
/// against the loaded state and returns the per-replica spans, without building a change;
/// ``decode(contentFrom:)`` makes the same walk again and builds the changes. Because the
/// first walk refused whatever the second could refuse, the second cannot fail.
struct EncodedHistory {
    let count: Int
    let opCount: Int
    let actors: [ReplicaID]
    let firstSeq: [UInt64]
    /// Per actor index: one past the last op counter of its last change before the horizon
    /// (0 when none was left out).
    let horizonEnds: [UInt64]
    let strings: [String]
    let metadata: [[UInt8]]
    let objects: [ObjectID]
    /// The snapshot's columns, each a reader at its start, by ``SnapshotColumn`` raw value.
    let columns: [ByteReader]

    /// What the check learns: where each change is and what it spans.
    struct Outline {
        var spans: [ReplicaID: [(start: UInt64, end: UInt64)]] = [:]
        var positions: [ReplicaID: [Int]] = [:]
        var version = VersionVector()
        var maxCounter: UInt64 = 0
        /// The element ids inserted, by list or text (``ElementRange/normalized(_:)``), to
        /// compare with the state's.
        var inserted: [ObjectID: [ElementRange]] = [:]
        /// Objects the history creates.
        var created = 0
        /// The scalar values that the ops asked for wrote (set and insert ops).
        var values: [OpID: ScalarValue] = [:]
    }

    /// Reads every value and checks it against `state` (objects built from the same
    /// snapshot), without building changes.
    /// With `build`, the same walk also makes the changes (for a small history, one walk
    /// costs less than two: a first sync loads thousands of small deals, and reading each
    /// card decodes its history).
    func check(against objects: [ObjectID: Document.Object], parents: [ObjectID: (object: ObjectID, key: Key)],
               wanting: Set<OpID>, build: Bool = false) throws(DecodeError) -> (outline: Outline, changes: [Change]?) {
        var walk = Walk(history: self, objects: objects, parents: parents, build: build)
        walk.wanted = wanting
        try walk.run()
        return (walk.outline, build ? walk.changes : nil)
    }

    /// The changes, in canonical order, with text scalars read from `document`'s state.
    func decode(contentFrom document: Document) throws(DecodeError) -> [Change] {
        var walk = Walk(history: self, objects: document.objects, parents: document.parents, build: true)
        try walk.run()
        return walk.changes
    }

    private struct Walk {
        let history: EncodedHistory
        let objects: [ObjectID: Document.Object]
        let parents: [ObjectID: (object: ObjectID, key: Key)]
        let build: Bool
        var wanted: Set<OpID> = []
        var outline = Outline()
        var changes: [Change] = []
        /// The element ids each list or text insert made, by object index, joined where
        /// consecutive; compared with the state's elements once the walk is done.
        var insertedRanges: [[ElementRange]]
        var columns: [ColumnReader]
        var valueBytes: ByteReader
        /// Each object's kind and (for lists and texts) its sequence, by object index.
        let kinds: [ObjectKind]
        let sequences: [SequenceObject?]

        init(history: EncodedHistory, objects: [ObjectID: Document.Object], parents: [ObjectID: (object: ObjectID, key: Key)], build: Bool) {
            self.history = history
            self.objects = objects
            self.parents = parents
            self.build = build
            valueBytes = history.columns[SnapshotColumn.opValueBytes.rawValue]
            columns = SnapshotColumn.allCases.map {
                ColumnReader(history.columns[$0.rawValue], name: $0.description, signed: $0.isSigned)
            }
            var kinds: [ObjectKind] = []
            var sequences: [SequenceObject?] = []
            for id in history.objects {
                switch objects[id]! {
                case .map: kinds.append(.map); sequences.append(nil)
                case .sequence(let sequence): kinds.append(sequence.kind); sequences.append(sequence)
                }
            }
            self.kinds = kinds
            self.sequences = sequences
            insertedRanges = Array(repeating: [], count: history.objects.count)
        }

        mutating func noteInserted(object index: Int, _ first: OpID, count: Int) {
            let end = first.counter + UInt64(count)
            if let last = insertedRanges[index].last, last.replica == first.replica, last.end == first.counter {
                insertedRanges[index][insertedRanges[index].count - 1].end = end
            } else {
                insertedRanges[index].append(ElementRange(replica: first.replica, start: first.counter, end: end))
            }
        }

        mutating func next(_ column: SnapshotColumn, max limit: Int, _ what: String) throws(DecodeError) -> Int {
            try columns[column.rawValue].next(max: limit, what)
        }
        mutating func signed(_ column: SnapshotColumn) throws(DecodeError) -> Int64 { try columns[column.rawValue].nextSigned() }
        func invalid(_ column: SnapshotColumn, _ reason: String) -> DecodeError { columns[column.rawValue].invalid(reason) }

        // These read their delta themselves: a call like `counter(base, plus: try signed(…))` on a
        // non-mutating helper makes Swift copy the whole walk (and then every column) per value.
        mutating func counter(_ base: UInt64, minus column: SnapshotColumn) throws(DecodeError) -> UInt64 {
            let delta = try signed(column)
            guard let value = SnapshotCounters.counter(base, minus: delta) else {
                throw invalid(column, "counter \(base) - (\(delta)) is outside 1...\(Change.maximumCounter)")
            }
            return value
        }

        mutating func counter(_ base: UInt64, plus column: SnapshotColumn) throws(DecodeError) -> UInt64 {
            let delta = try signed(column)
            guard let value = SnapshotCounters.counter(base, plus: delta) else {
                throw invalid(column, "counter \(base) + (\(delta)) is outside 1...\(Change.maximumCounter)")
            }
            return value
        }

        mutating func run() throws(DecodeError) {
            if build { changes.reserveCapacity(history.count) }
            let actors = history.actors
            var nextSeq = history.firstSeq
            var previousEnd: UInt64 = 1
            var previousKey: (UInt64, ReplicaID)?
            // Per actor index, not per replica id: the walk touches these once a change, and a
            // dictionary's hashing was most of a load's time.
            var spans = [[(start: UInt64, end: UInt64)]](repeating: [], count: actors.count)
            var positions = [[Int]](repeating: [], count: actors.count)
            // Each author's deps as (actor index, seq), ascending by index.
            var priorDeps = [[(index: Int, seq: UInt64)]](repeating: [], count: actors.count)
            var opsLeft = history.opCount
            for position in 0..<history.count {
                let author = try next(.changeAuthor, max: actors.count - 1, "actor index")
                let replica = actors[author]
                let startOp = try counter(previousEnd, plus: .changeStart)
                if let previousKey, (startOp, replica) <= previousKey {
                    throw invalid(.changeStart, "change \(position) is not in canonical order (ascending startOp, then replica)")
                }
                previousKey = (startOp, replica)
                let opCount = try next(.changeOpCount, max: min(Change.maximumOps, opsLeft), "op count")
                guard opCount >= 1 else { throw invalid(.changeOpCount, "change \(position) holds no ops") }
                opsLeft -= opCount
                var deps = priorDeps[author]
                let differing = try next(.changeDepCount, max: actors.count, "dep count")
                var previousDep = -1
                for _ in 0..<differing {
                    let index = try next(.changeDepActor, max: actors.count - 1, "actor index")
                    guard index != author else { throw invalid(.changeDepActor, "change \(position)'s deps name its author") }
                    guard index > previousDep else { throw invalid(.changeDepActor, "change \(position)'s deps are not in ascending actor order") }
                    previousDep = index
                    let slot = deps.firstIndex { $0.index >= index }
                    let known = slot.map { deps[$0].index == index ? deps[$0].seq : 0 } ?? 0
                    // A change may depend on less than its author's previous one did (deps
                    // need not grow), so a dep may drop to seq 0: gone.
                    let delta = try signed(.changeDepSeq)
                    guard delta != 0, let seq = SnapshotCounters.seq(known, plus: delta) else {
                        throw invalid(.changeDepSeq, "change \(position)'s dep on \(actors[index]) moves from seq \(known) by \(delta)")
                    }
                    guard seq < nextSeq[index] else {
                        throw invalid(.changeDepSeq, "change \(position) depends on \(actors[index])/\(seq), which comes after it or is not in the snapshot")
                    }
                    if let slot, deps[slot].index == index {
                        if seq == 0 { deps.remove(at: slot) } else { deps[slot].seq = seq }
                    } else {
                        deps.insert((index, seq), at: slot ?? deps.count)
                    }
                }
                priorDeps[author] = deps
                let metadataIndex = try next(.changeMetadata, max: history.metadata.count - 1, "metadata index")
                let seq = nextSeq[author]
                guard seq >= 1 && seq <= Change.maximumCounter else {
                    throw invalid(.changeAuthor, "actor \(author) has changes but first seq \(seq)")
                }
                nextSeq[author] = seq + 1
                // The start every replica requires (``Document/requiredStartOp(for:)``). A dep
                // on a change before the horizon but not its last one has no known end: then
                // the start can only be checked not to be below the ends that are known.
                var floor: UInt64 = 1
                var exact = true
                if let last = spans[author].last { floor = last.end } else if history.horizonEnds[author] > 0 { floor = history.horizonEnds[author] }
                for dep in deps {
                    let first = history.firstSeq[dep.index]
                    if dep.seq >= first {
                        floor = max(floor, spans[dep.index][Int(dep.seq - first)].end)
                    } else if dep.seq == first - 1 {
                        floor = max(floor, history.horizonEnds[dep.index])
                    } else {
                        exact = false
                    }
                }
                guard exact ? startOp == floor : startOp >= floor else {
                    throw invalid(.changeStart, "change \(replica)/\(seq) starts at op \(startOp); its causal past makes it \(floor)")
                }
                var ops: [Op] = []
                if build { ops.reserveCapacity(opCount) }
                var current = startOp
                var width: UInt64 = 0
                for _ in 0..<opCount {
                    let (op, opWidth) = try self.op(current: OpID(counter: current, replica: replica), author: author,
                                                    widthLeft: Change.maximumWidth - width)
                    width += opWidth
                    guard current <= Change.maximumCounter - opWidth else {
                        throw invalid(.opWidth, "op counters of change \(replica)/\(seq) pass \(Change.maximumCounter)")
                    }
                    current += opWidth
                    if build { ops.append(op) }
                }
                spans[author].append((startOp, current))
                positions[author].append(position)
                outline.maxCounter = max(outline.maxCounter, current - 1)
                previousEnd = current
                if build {
                    var vector = VersionVector()
                    for dep in deps { vector[actors[dep.index]] = dep.seq }
                    changes.append(Change(replica: replica, seq: seq, startOp: startOp, deps: vector,
                                          metadata: history.metadata[metadataIndex], ops: ops))
                }
            }
            for (index, replica) in actors.enumerated() {
                if !spans[index].isEmpty {
                    outline.spans[replica] = spans[index]
                    outline.positions[replica] = positions[index]
                }
                // Changes before the horizon are applied too: the version counts them.
                if nextSeq[index] > 1 { outline.version[replica] = nextSeq[index] - 1 }
            }
            for (index, ranges) in insertedRanges.enumerated() where !ranges.isEmpty {
                outline.inserted[history.objects[index]] = ElementRange.normalized(ranges)
            }
            guard opsLeft == 0 else { throw invalid(.changeOpCount, "the changes hold fewer ops than the \(history.opCount) declared") }
            for column in SnapshotColumn.allCases where column < .objectKind && !column.isRaw {
                try columns[column.rawValue].finish()
            }
            guard valueBytes.isAtEnd else { throw valueBytes.invalid("column op.valueBytes holds bytes no op uses") }
        }

        mutating func ref(_ current: OpID, optional: Bool = false) throws(DecodeError) -> OpID? {
            let actor = try next(.opRefActor, max: history.actors.count, "actor")
            if actor == 0 {
                guard optional else { throw invalid(.opRefActor, "a required reference is missing") }
                return nil
            }
            return OpID(counter: try counter(current.counter, minus: .opRefCounter),
                        replica: history.actors[actor - 1])
        }

        mutating func required(_ current: OpID) throws(DecodeError) -> OpID { try ref(current)! }

        mutating func value(_ id: OpID, in object: ObjectID, at key: Key) throws(DecodeError) -> NewValue {
            let tag = try next(.opValueTag, max: 18, "value tag")
            if tag >= 16 {
                guard let kind = ObjectKind(rawValue: UInt8(tag - 16)) else { throw invalid(.opValueTag, "unknown value tag \(tag)") }
                let created = ObjectID(id)
                guard objects[created]?.kind == kind, let parent = parents[created], parent.object == object, parent.key == key else {
                    throw invalid(.opValueTag, "op \(id) creates a \(kind) that the snapshot's state does not hold where the op puts it")
                }
                outline.created += 1
                return .object(kind)
            }
            let scalar = try SnapshotValue.read(tag: tag, bytes: &valueBytes)
            if !wanted.isEmpty && wanted.contains(id) { outline.values[id] = scalar }
            return .scalar(scalar)
        }

        /// The op whose id is `current`, and the counters it takes (a text insert's scalars
        /// are not copied out when only checking, so its width is returned beside it).
        mutating func op(current: OpID, author: Int, widthLeft: UInt64) throws(DecodeError) -> (Op, UInt64) {
            guard widthLeft >= 1 else { throw invalid(.opWidth, "a change passes \(Change.maximumWidth) op counters") }
            let objectIndex = try next(.opObject, max: history.objects.count - 1, "object index")
            let objectID = history.objects[objectIndex]
            let kind = kinds[objectIndex]
            let action = try next(.opAction, max: 8, "action")
            let fits = switch action {
            case 0, 1, 2: kind == .map
            case 3, 4, 5, 6: kind == .list
            default: kind == .text
            }
            guard fits else { throw invalid(.opAction, "action \(action) on a \(kind) object") }
            func key(_ walk: inout Walk) throws(DecodeError) -> Key {
                if action <= 2 {
                    let index = try walk.next(.opKey, max: walk.history.strings.count - 1, "key")
                    return .map(walk.history.strings[index])
                }
                return .element(try walk.required(current))
            }
            func pred(_ walk: inout Walk) throws(DecodeError) -> [OpID] {
                let count = try walk.next(.opPredCount, max: Change.maximumOps, "pred count")
                var ids: [OpID] = []
                if walk.build { ids.reserveCapacity(count) }
                for _ in 0..<count {
                    let id = try walk.required(current)
                    if walk.build { ids.append(id) }
                }
                return ids
            }
            let result: Op.Action
            switch action {
            case 0, 3:
                let target = try key(&self)
                let value = try self.value(current, in: objectID, at: target)
                result = .set(target, value, pred: try pred(&self))
            case 1, 4:
                let target = try key(&self)
                result = .delete(target, pred: try pred(&self))
            case 2, 5:
                let target = try key(&self)
                let counter = try required(current)
                result = .increment(target, counter: counter, by: try valueBytes.sleb())
            case 6:
                let origin = try ref(current, optional: true)
                noteInserted(object: objectIndex, current, count: 1)
                result = .insert(after: origin, try value(current, in: objectID, at: .element(current)))
            case 7:
                let origin = try ref(current, optional: true)
                let width = try next(.opWidth, max: Int(min(widthLeft, UInt64(Int32.max))), "text insert width")
                guard width >= 1 else { throw invalid(.opWidth, "an empty text insert") }
                noteInserted(object: objectIndex, current, count: width)
                // Checking needs no scalars: the ids inserted are compared with the state's
                // as sets at the end. Building copies them out of the state.
                let scalars = build ? try content(of: current, count: width, in: sequences[objectIndex]!, objectID) : []
                return (Op(object: objectID, action: .insertText(after: origin, scalars)), UInt64(width))
            default:
                let start = try required(current)
                let count = try next(.opWidth, max: Int(Int32.max), "delete count")
                guard count >= 1, UInt64(count - 1) <= Change.maximumCounter - start.counter else {
                    throw invalid(.opWidth, "delete run \(start) + \(count) is out of range")
                }
                result = .deleteRun(start: start, count: UInt64(count))
            }
            return (Op(object: objectID, action: result), 1)
        }

        /// The scalars of elements `id…` of `text` (only checked to exist when not building).
        func content(of id: OpID, count: Int, in text: SequenceObject, _ objectID: ObjectID) throws(DecodeError) -> [Unicode.Scalar] {
            var scalars: [Unicode.Scalar] = []
            if build { scalars.reserveCapacity(count) }
            var cursor = id
            var remaining = count
            while remaining > 0 {
                guard let (run, offset) = text.locate(cursor) else {
                    throw invalid(.opWidth, "text insert \(id) of \(count) scalars: element \(cursor) is not in the snapshot's \(objectID)")
                }
                let step = min(remaining, run.count - offset)
                if build {
                    let from = run.scalars.startIndex + offset
                    scalars.append(contentsOf: run.scalars[from..<from + step])
                }
                remaining -= step
                cursor = cursor.advanced(by: UInt64(step))
            }
            return scalars
        }
    }
}

/// Consecutive element ids of one replica, `start..<end`: how the history's inserts and the
/// state's runs are compared as sets.
struct ElementRange: Equatable {
    let replica: ReplicaID
    let start: UInt64
    var end: UInt64

    /// `ranges` sorted by replica and start, with ranges that continue each other joined: two
    /// collections of disjoint ranges hold the same ids exactly when these are equal.
    static func normalized(_ ranges: [ElementRange]) -> [ElementRange] {
        let sorted = ranges.sorted { ($0.replica, $0.start) < ($1.replica, $1.start) }
        var joined: [ElementRange] = []
        joined.reserveCapacity(sorted.count)
        for range in sorted {
            if let last = joined.last, last.replica == range.replica, last.end == range.start {
                joined[joined.count - 1].end = range.end
            } else {
                joined.append(range)
            }
        }
        return joined
    }
}

/// Counters moved by a signed delta from a column, checked: the result must lie in
/// `1...Change.maximumCounter`, and no delta (not even `Int64.min`) traps.
enum SnapshotCounters {
    static func counter(_ base: UInt64, minus delta: Int64) -> UInt64? {
        let result = delta >= 0 ? base.subtractingReportingOverflow(UInt64(delta)) : base.addingReportingOverflow(delta.magnitude)
        return check(result)
    }

    static func counter(_ base: UInt64, plus delta: Int64) -> UInt64? {
        let result = delta >= 0 ? base.addingReportingOverflow(UInt64(delta)) : base.subtractingReportingOverflow(delta.magnitude)
        return check(result)
    }

    /// A dep's seq moved by `delta`: 0 (no dep) is allowed as well.
    static func seq(_ base: UInt64, plus delta: Int64) -> UInt64? {
        let result = delta >= 0 ? base.addingReportingOverflow(UInt64(delta)) : base.subtractingReportingOverflow(delta.magnitude)
        guard !result.overflow, result.partialValue <= Change.maximumCounter else { return nil }
        return result.partialValue
    }

    private static func check(_ result: (partialValue: UInt64, overflow: Bool)) -> UInt64? {
        guard !result.overflow, result.partialValue >= 1, result.partialValue <= Change.maximumCounter else { return nil }
        return result.partialValue
    }
}
