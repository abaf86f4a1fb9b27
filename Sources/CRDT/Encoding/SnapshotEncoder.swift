/// Writes a snapshot of format version 2: the document's state, and its history in columns.
///
/// The body is: flags; the actor table; each actor's first seq; the string table (every map
/// key, sorted); the metadata table (each distinct change metadata, in order of first use);
/// the counts of changes, ops and objects; then every ``SnapshotColumn``, each length
/// prefixed. Text scalars are stored once, in the state (deleted runs included): a text
/// insert in the history records only its width, and its scalars are read back from the
/// state by id. Runs are written maximal (adjacent pieces of one author with consecutive
/// counters and the same visibility are joined), so two replicas that applied the same
/// changes write the same bytes, whatever order they applied them in.
struct SnapshotEncoder {
    private var columns: [[UInt8]] = []
    /// The integer columns by ``SnapshotColumn`` raw value (the raw ones' writers stay empty).
    private var ints: [ColumnWriter]
    private var opValueBytes = ByteWriter()
    private var entryValueBytes = ByteWriter()
    private var textContent = ByteWriter()

    private let actors: [ReplicaID: Int]
    private let actorTable: [ReplicaID]
    private let strings: [String: Int]
    private let stringTable: [String]
    private let objectIndex: [ObjectID: Int]
    private let objectTable: [ObjectID]
    /// The last lookups of `actors` and `objectIndex`: a run of ops by one author on one
    /// text asks for the same ones again and again, and a hash per op was a tenth of the time.
    private var lastActor: (replica: ReplicaID, index: Int)?
    private var lastObject: (object: ObjectID, index: Int)?
    private let horizon: Horizon
    /// In a shallow snapshot, per list or text: the element ids the history's ops name
    /// (insert origins, deleted runs, element keys, and the elements that hold an object an
    /// op acts on), joined and ascending per replica. A deleted element from before the
    /// horizon that none names is left out (``keptPieces(of:in:)``), and with a list
    /// element, the objects inside it.
    private var namedByHistory: [ObjectID: [ReplicaID: [(start: UInt64, end: UInt64)]]] = [:]

    private init(document: Document, history: [Change], horizon: Horizon) {
        self.horizon = horizon
        if !horizon.isEmpty {
            var named: [ObjectID: [ReplicaID: [(start: UInt64, end: UInt64)]]] = [:]
            func name(_ element: OpID, in object: ObjectID, count: UInt64 = 1) {
                named[object, default: [:]][element.replica, default: []].append((element.counter, element.counter + count))
            }
            for change in history {
                for op in change.ops {
                    switch op.action {
                    case .insertText(let origin?, _), .insert(let origin?, _): name(origin, in: op.object)
                    case .deleteRun(let start, let count): name(start, in: op.object, count: count)
                    case .set(.element(let element), _, _), .delete(.element(let element), _), .increment(.element(let element), _, _):
                        name(element, in: op.object)
                    default: break
                    }
                    // The elements that hold the object the op acts on, up to the root.
                    var object = op.object
                    while let parent = document.parents[object] {
                        if case .element(let element) = parent.key { name(element, in: parent.object) }
                        object = parent.object
                    }
                }
            }
            // Sorted and joined where they meet: disjoint, so a run finds its first by bisection.
            for (object, byReplica) in named {
                for (replica, ranges) in byReplica {
                    var joined: [(start: UInt64, end: UInt64)] = []
                    for range in ranges.sorted(by: { $0.start < $1.start }) {
                        if let last = joined.last, range.start <= last.end {
                            joined[joined.count - 1].end = max(last.end, range.end)
                        } else {
                            joined.append(range)
                        }
                    }
                    named[object]![replica] = joined
                }
            }
            namedByHistory = named
        }
        // The state's ids are ops of the history or of a replica the horizon names.
        var replicas = Set(horizon.seqs.entries.keys)
        Change.collectReplicas(of: history, into: &replicas)
        var keys = Set<String>()
        for change in history {
            for op in change.ops {
                switch op.action {
                case .set(.map(let key), _, _), .delete(.map(let key), _), .increment(.map(let key), _, _): keys.insert(key)
                default: break
                }
            }
        }
        let kept = Self.objectsKept(in: document, horizon: horizon, named: namedByHistory)
        for id in kept {
            if case .map(let map) = document.objects[id]! { keys.formUnion(map.keys.keys) }
            if case .map(let key)? = document.parents[id]?.key { keys.insert(key) }
        }
        actorTable = replicas.sorted()
        actors = Dictionary(uniqueKeysWithValues: actorTable.enumerated().map { ($1, $0) })
        stringTable = keys.sorted()
        strings = Dictionary(uniqueKeysWithValues: stringTable.enumerated().map { ($1, $0) })
        objectTable = kept.sorted()
        objectIndex = Dictionary(uniqueKeysWithValues: objectTable.enumerated().map { ($1, $0) })
        ints = SnapshotColumn.allCases.map { ColumnWriter(signed: $0.isSigned) }
    }

    /// The document as a snapshot: with its own horizon, or with a later `horizon` (whose
    /// ends the caller computed), leaving out every change at or before it.
    static func encode(_ document: Document, horizon: Horizon? = nil, retained: [Change]? = nil) -> [UInt8] {
        let horizon = horizon ?? document.horizon
        let retained = retained ?? document.retainedChanges
        // The whole history, shared, not copied, when nothing is left out.
        let applied = horizon.isEmpty ? document.history : document.history.filter { $0.seq > horizon.seqs[$0.replica] }
        let canonical = { (a: Change, b: Change) in (a.startOp, a.replica) < (b.startOp, b.replica) }
        // Usually already in canonical order (a replica applies its own changes in it).
        let isSorted = zip(applied, applied.dropFirst()).allSatisfy { canonical($0, $1) }
        let history = isSorted ? applied : applied.sorted(by: canonical)
        var encoder = SnapshotEncoder(document: document, history: history, horizon: horizon)
        var writer = ByteWriter()
        writer.uleb(retained.isEmpty ? 0 as UInt64 : SnapshotFlags.retainedChanges)
        writer.uleb(encoder.actorTable.count)
        for actor in encoder.actorTable { writer.uint64LE(actor.rawValue) }
        var firstSeq: [ReplicaID: UInt64] = [:]
        for change in history where firstSeq[change.replica] == nil { firstSeq[change.replica] = change.seq }
        // An actor with changes before the horizon starts after them (a shallow snapshot); then
        // the end of its last change there, for each such actor in table order.
        for actor in encoder.actorTable {
            let compacted = horizon.seqs[actor]
            writer.uleb(compacted > 0 ? compacted + 1 : firstSeq[actor] ?? 0)
        }
        for actor in encoder.actorTable where horizon.seqs[actor] > 0 { writer.uleb(horizon.ends[actor]!) }
        writer.uleb(encoder.stringTable.count)
        for string in encoder.stringTable { writer.string(string) }
        let (metadataTable, opCount) = encoder.history(history)
        writer.uleb(metadataTable.count)
        for metadata in metadataTable { writer.lengthPrefixed(metadata) }
        writer.uleb(history.count)
        writer.uleb(opCount)
        writer.uleb(encoder.objectTable.count)
        encoder.state(document)
        let bytes = SnapshotColumn.allCases.map { column in
            switch column {
            case .opValueBytes: encoder.opValueBytes.bytes
            case .entryValueBytes: encoder.entryValueBytes.bytes
            case .textContent: encoder.textContent.bytes
            default: encoder.ints[column.rawValue].finish()
            }
        }
        // Which columns hold anything (bit n: column n), then those columns, length prefixed.
        var present: UInt64 = 0
        for (index, column) in bytes.enumerated() where !column.isEmpty { present |= 1 << UInt64(index) }
        writer.uleb(present)
        for column in bytes where !column.isEmpty { writer.lengthPrefixed(column) }
        // A shallow snapshot's retained changes (from before its horizon, kept for what they
        // say about the state: authors, times), as one change batch blob.
        if !retained.isEmpty { writer.lengthPrefixed(ChangeBatch.encode(retained, kind: .changeBatch)) }
        return Blob.wrap(.snapshot, body: writer.bytes)
    }

    private mutating func actor(_ replica: ReplicaID) -> Int {
        if let lastActor, lastActor.replica == replica { return lastActor.index }
        let index = actors[replica]!
        lastActor = (replica, index)
        return index
    }

    private mutating func object(_ object: ObjectID) -> Int {
        if let lastObject, lastObject.object == object { return lastObject.index }
        let index = objectIndex[object]!
        lastObject = (object, index)
        return index
    }

    private mutating func put(_ column: SnapshotColumn, _ value: Int) { ints[column.rawValue].append(value) }
    private mutating func put(_ column: SnapshotColumn, signed value: Int64) { ints[column.rawValue].append(signed: value) }

    /// The difference `base - counter` as the signed columns store it (wrapping: only
    /// counters in range are ever written).
    private func delta(_ base: UInt64, _ counter: UInt64) -> Int64 { Int64(bitPattern: base &- counter) }

    // MARK: History

    /// Writes the change and op columns; returns the metadata table and the op count.
    private mutating func history(_ history: [Change]) -> ([[UInt8]], Int) {
        var metadataIndex: [[UInt8]: Int] = [:]
        var metadataTable: [[UInt8]] = []
        var lastMetadata: (bytes: [UInt8], index: Int)?
        var previousEnd: UInt64 = 1
        var priorDeps: [ReplicaID: VersionVector] = [:]
        var opCount = 0
        for change in history {
            put(.changeAuthor, actor(change.replica))
            put(.changeStart, signed: delta(change.startOp, previousEnd))
            put(.changeOpCount, change.ops.count)
            let prior = priorDeps[change.replica] ?? VersionVector()
            // The deps that differ from the author's previous change's: raised, new, or
            // dropped (written as a delta down to seq 0).
            var differing: [ReplicaID] = []
            if prior != change.deps {
                for (replica, seq) in change.deps.entries where prior[replica] != seq { differing.append(replica) }
                for (replica, _) in prior.entries where change.deps[replica] == 0 { differing.append(replica) }
                differing.sort()
            }
            put(.changeDepCount, differing.count)
            for replica in differing {
                put(.changeDepActor, actor(replica))
                put(.changeDepSeq, signed: delta(change.deps[replica], prior[replica]))
            }
            if prior != change.deps { priorDeps[change.replica] = change.deps }
            if let last = lastMetadata, last.bytes == change.metadata {
                put(.changeMetadata, last.index)
            } else if let index = metadataIndex[change.metadata] {
                lastMetadata = (change.metadata, index)
                put(.changeMetadata, index)
            } else {
                lastMetadata = (change.metadata, metadataTable.count)
                metadataIndex[change.metadata] = metadataTable.count
                put(.changeMetadata, metadataTable.count)
                metadataTable.append(change.metadata)
            }
            var counter = change.startOp
            for op in change.ops {
                self.op(op, current: counter)
                counter &+= op.width
            }
            opCount += change.ops.count
            previousEnd = change.endOp
        }
        return (metadataTable, opCount)
    }

    private mutating func ref(_ id: OpID, _ current: UInt64) {
        put(.opRefActor, actor(id.replica) + 1)
        put(.opRefCounter, signed: delta(current, id.counter))
    }

    private mutating func optionalRef(_ id: OpID?, _ current: UInt64) {
        if let id { ref(id, current) } else { put(.opRefActor, 0) }
    }

    private mutating func op(_ op: Op, current: UInt64) {
        put(.opObject, object(op.object))
        func key(_ key: Key, _ encoder: inout SnapshotEncoder) {
            switch key {
            case .map(let name): encoder.put(.opKey, encoder.strings[name]!)
            case .element(let element): encoder.ref(element, current)
            }
        }
        switch op.action {
        case .set(let target, let value, let pred):
            put(.opAction, target.isMap ? 0 : 3)
            key(target, &self)
            self.value(value)
            put(.opPredCount, pred.count)
            for id in pred { ref(id, current) }
        case .delete(let target, let pred):
            put(.opAction, target.isMap ? 1 : 4)
            key(target, &self)
            put(.opPredCount, pred.count)
            for id in pred { ref(id, current) }
        case .increment(let target, let counter, let by):
            put(.opAction, target.isMap ? 2 : 5)
            key(target, &self)
            ref(counter, current)
            opValueBytes.sleb(by)
        case .insert(let origin, let value):
            put(.opAction, 6)
            optionalRef(origin, current)
            self.value(value)
        case .insertText(let origin, let scalars):
            put(.opAction, 7)
            optionalRef(origin, current)
            put(.opWidth, scalars.count)
        case .deleteRun(let start, let count):
            put(.opAction, 8)
            ref(start, current)
            put(.opWidth, Int(count))
        }
    }

    private mutating func value(_ value: NewValue) {
        switch value {
        case .object(let kind): put(.opValueTag, 16 + Int(kind.rawValue))
        case .scalar(let scalar): SnapshotValue.write(scalar, tags: &ints[SnapshotColumn.opValueTag.rawValue], bytes: &opValueBytes)
        }
    }

    // MARK: State

    private mutating func state(_ document: Document) {
        var previousCounter: UInt64 = 0
        for id in objectTable.dropFirst() {
            put(.objectKind, Int(document.objects[id]!.kind.rawValue))
            put(.objectActor, actor(id.op.replica))
            put(.objectCounter, signed: delta(id.op.counter, previousCounter))
            previousCounter = id.op.counter
            let parent = document.parents[id]!
            put(.objectParent, object(parent.object))
            switch parent.key {
            case .map(let key): put(.objectKey, strings[key]!)
            case .element(let element):
                put(.objectElementActor, actor(element.replica))
                put(.objectElementCounter, signed: delta(id.op.counter, element.counter))
            }
        }
        for id in objectTable {
            switch document.objects[id]! {
            case .map(let map):
                let keys = map.keys.filter { !$0.value.entries.isEmpty }.keys.map { strings[$0]! }.sorted()
                put(.mapKeyCount, keys.count)
                var previousKey = 0
                for key in keys {
                    put(.mapKey, key - previousKey)
                    previousKey = key
                    register(map.keys[stringTable[key]]!, base: nil)
                }
            case .sequence(let sequence):
                runs(of: sequence, id: id)
            }
        }
    }

    /// Writes a register; entries' counters are relative to `base` (a list element's
    /// counter) or, in a map, to the previous entry's.
    private var previousEntryCounter: UInt64 = 0
    private mutating func register(_ register: Register, base: UInt64?) {
        let entries = register.entries.count <= 1 ? register.entries : register.entries.sorted { $0.id < $1.id }
        put(.registerEntryCount, entries.count)
        for entry in entries {
            put(.entryActor, actor(entry.id.replica))
            put(.entryCounter, signed: delta(entry.id.counter, base ?? previousEntryCounter))
            previousEntryCounter = entry.id.counter
            switch entry.value {
            case .object(let object, let kind):
                put(.entryValueTag, 16 + Int(kind.rawValue))
                entryValueBytes.uleb(self.object(object))
            case .scalar(let scalar) where horizon.isBefore(entry.id):
                // Written before the horizon: its op is not in the history, so the value is here.
                SnapshotValue.write(scalar, tags: &ints[SnapshotColumn.entryValueTag.rawValue], bytes: &entryValueBytes)
                counterFields(of: entry)
            case .scalar:
                // The op that wrote the entry is in the history and holds the same value.
                put(.entryValueTag, SnapshotValue.fromTheOp)
                counterFields(of: entry)
            }
        }
    }

    /// Whether an entry is a counter (and superseded), its increments and live increments.
    private mutating func counterFields(of entry: Register.Entry) {
        put(.entryCounterFlags, entry.isCounter ? (entry.superseded ? 2 : 1) : 0)
        guard entry.isCounter else { return }
        entryValueBytes.sleb(entry.increments)
        let live = entry.liveIncrements.sorted()
        put(.entryLiveCount, live.count)
        for id in live {
            put(.entryLiveActor, actor(id.replica))
            put(.entryLiveCounter, signed: delta(id.counter, entry.id.counter))
        }
    }

    /// The parts of a text run a shallow snapshot keeps, as (offset, count) in the run: all
    /// of a visible run; of a deleted one, the elements after the horizon and those the
    /// history names. A deleted element from before the horizon that no later op names can
    /// go: every replica past the horizon has seen it deleted, so no change it makes names
    /// it, and a later insert, whose id is greater, stops before it or before whatever
    /// followed it alike.
    /// The objects a snapshot writes: all, but in a shallow one those that sit, through
    /// their parents, in a list element it leaves out (deleted before the horizon, named by
    /// no later op).
    private static func objectsKept(in document: Document, horizon: Horizon,
                                    named: [ObjectID: [ReplicaID: [(start: UInt64, end: UInt64)]]]) -> [ObjectID] {
        guard !horizon.isEmpty else { return Array(document.objects.keys) }
        var leftOut: [ObjectID: Bool] = [:]
        func isLeftOut(_ id: ObjectID) -> Bool {
            guard let parent = document.parents[id] else { return false }
            if let known = leftOut[id] { return known }
            var result = isLeftOut(parent.object)
            if !result, case .element(let element) = parent.key, case .sequence(let list)? = document.objects[parent.object],
               let (run, offset) = list.locate(element) {
                result = !keptPieces(of: run, in: parent.object, horizon: horizon, named: named)
                    .contains { offset >= $0.offset && offset < $0.offset + $0.count }
            }
            leftOut[id] = result
            return result
        }
        return document.objects.keys.filter { !isLeftOut($0) }
    }

    private func keptPieces(of run: Run, in object: ObjectID) -> [(offset: Int, count: Int)] {
        Self.keptPieces(of: run, in: object, horizon: horizon, named: namedByHistory)
    }

    private static func keptPieces(of run: Run, in object: ObjectID, horizon: Horizon,
                                   named namedByHistory: [ObjectID: [ReplicaID: [(start: UInt64, end: UInt64)]]]) -> [(offset: Int, count: Int)] {
        guard !run.isVisible, let end = horizon.ends[run.start.replica], run.start.counter < end else { return [(0, run.count)] }
        let first = run.start.counter
        let last = first + UInt64(run.count)
        var kept: [(start: UInt64, end: UInt64)] = []
        let named = namedByHistory[object]?[run.start.replica] ?? []
        var low = 0
        var high = named.count
        while low < high {
            let mid = (low + high) / 2
            if named[mid].end <= first { low = mid + 1 } else { high = mid }
        }
        for range in named[low...] {
            guard range.start < min(last, end) else { break }
            kept.append((max(range.start, first), min(range.end, min(last, end))))
        }
        if last > end { kept.append((end, last)) }
        kept.sort { $0.start < $1.start }
        var pieces: [(offset: Int, count: Int)] = []
        var covered = first
        for range in kept where range.end > covered {
            let start = max(range.start, covered)
            if let previous = pieces.last, UInt64(previous.offset + previous.count) + first == start {
                pieces[pieces.count - 1].count += Int(range.end - start)
            } else {
                pieces.append((Int(start - first), Int(range.end - start)))
            }
            covered = range.end
        }
        return pieces
    }

    private mutating func runs(of sequence: SequenceObject, id object: ObjectID) {
        var merged: [(start: OpID, count: Int, visible: Bool)] = []
        var elements: [OpID] = []
        let dropping = !horizon.isEmpty
        sequence.tree.forEachRun { run in
            for piece in dropping ? keptPieces(of: run, in: object) : [(0, run.count)] {
                let start = run.start.advanced(by: UInt64(piece.offset))
                if sequence.kind == .list {
                    for offset in 0..<piece.count { elements.append(start.advanced(by: UInt64(offset))) }
                }
                if let last = merged.last, last.visible == run.isVisible, last.start.replica == start.replica,
                   last.start.counter + UInt64(last.count) == start.counter {
                    merged[merged.count - 1].count += piece.count
                } else {
                    merged.append((start, piece.count, run.isVisible))
                }
                if sequence.kind == .text {
                    let from = run.scalars.startIndex + piece.offset
                    textContent.appendUTF8(run.scalars[from..<from + piece.count])
                }
            }
            return true
        }
        put(.sequenceRunCount, merged.count)
        var previousEnd: UInt64 = 0
        for run in merged {
            put(.runActor, actor(run.start.replica))
            put(.runStart, signed: delta(run.start.counter, previousEnd))
            put(.runCount, run.count)
            put(.runVisible, run.visible ? 1 : 0)
            previousEnd = run.start.counter + UInt64(run.count)
        }
        for element in elements {
            register(sequence.registers[element] ?? Register(), base: element.counter)
        }
    }
}
