/// What a version 2 snapshot loads into: the state, and the history still encoded.
struct LoadedState {
    var objects: [ObjectID: Document.Object]
    var parents: [ObjectID: (object: ObjectID, key: Key)]
    var spans: [ReplicaID: [(start: UInt64, end: UInt64)]]
    var positions: [ReplicaID: [Int]]
    var version: VersionVector
    var maxCounter: UInt64
    var history: EncodedHistory
    /// What a shallow snapshot left out (empty for a whole history).
    var horizon: Horizon
    /// Changes from before the horizon that the snapshot kept, canonical order.
    var retained: [Change] = []
    /// The history already decoded (a small one, ``SnapshotDecoder/eagerOpLimit``), or nil.
    var changes: [Change]?
}

/// The flags of a version 2 snapshot body.
enum SnapshotFlags {
    /// A shallow snapshot's retained changes follow the columns.
    static let retainedChanges: UInt64 = 1
}

/// The most a version 2 snapshot may declare, checked before anything is built: its values
/// are run-length coded, so a few bytes can name many of them.
public enum SnapshotLimits {
    /// Changes in one snapshot.
    public static let maximumChanges = 1 << 24
    /// Ops in one snapshot (list elements are bounded by it too: each is an insert op).
    public static let maximumOps = 1 << 26
    /// Objects (maps, lists, texts) in one snapshot.
    public static let maximumObjects = 1 << 22
    /// State items (list elements, register entries, live increments) made by changes before
    /// the horizon of a shallow snapshot, beyond those its history's ops allow: their ops are
    /// not in the snapshot, so this bounds what a few run-length coded bytes can make.
    public static let maximumCompactedItems = 1 << 22
}

/// Reads a snapshot of format version 2 (see ``SnapshotEncoder``): builds the state from it
/// directly and checks the history against it, without replaying a change.
///
/// What is checked: every count, index and counter is in range; the changes are in
/// canonical order and causally consistent (each dep names an earlier change, each change
/// starts where its causal past ends); every op fits its object's kind; the elements the
/// history inserts are exactly the state's (none missing, none extra, none twice) and the
/// objects it creates are the state's, with their parents; runs are maximal and list
/// elements are visible exactly when their registers are; every id in a register is an op
/// of the history. What cannot be checked without replaying is that the registers and
/// visibilities are the ones the history leads to: a snapshot is trusted for that, as the
/// replica that wrote it is (``Document/init(snapshot:replica:verifying:)`` replays to check).
struct SnapshotDecoder {
    /// Every column as read from the body, by ``SnapshotColumn`` raw value.
    private var columnBytes: [ByteReader] = []
    /// The state's integer columns being read (the history's are read by ``EncodedHistory``).
    private var columns: [ColumnReader] = []
    private var entryBytes = ByteReader([])
    private var actors: [ReplicaID] = []
    private var strings: [String] = []
    private var objectTable: [ObjectID] = []
    private var objects: [ObjectID: Document.Object] = [:]
    private var parents: [ObjectID: (object: ObjectID, key: Key)] = [:]
    /// Ids the state names that must be ops of the history, checked once spans are known.
    private var namedOps: [OpID] = []
    /// Register entries whose values are the ops' that wrote them, filled in from the history.
    private var valuesWanted: [(id: OpID, object: ObjectID, key: String, element: OpID)] = []
    /// Where the register being read sits (for `valuesWanted`).
    private var place: (object: ObjectID, key: String, element: OpID) = (.root, "", OpID(counter: 0, replica: ReplicaID(0)))
    /// Register entries and list elements still allowed: each is made by an op.
    private var opsLeft = 0
    /// What a shallow snapshot left out.
    private var horizon = Horizon()
    /// The element ids each list or text holds, run by run.
    private var elementRanges: [ObjectID: [ElementRange]] = [:]

    /// Histories of at most this many ops are decoded into changes as they are checked.
    static let eagerOpLimit = 4_096

    static func decode(_ reader: ByteReader) throws(DecodeError) -> LoadedState {
        var decoder = SnapshotDecoder()
        return try decoder.read(reader)
    }

    private mutating func read(_ body: ByteReader) throws(DecodeError) -> LoadedState {
        var reader = body
        let flags = try reader.uleb()  // unknown flags are ignored
        let actorCount = try reader.count("actor")
        var previous: UInt64 = 0
        for _ in 0..<actorCount {
            let raw = try reader.uint64LE()
            guard raw > previous else { throw reader.invalid("actors not in ascending order (or replica 0)") }
            previous = raw
            actors.append(ReplicaID(raw))
        }
        var firstSeq: [UInt64] = []
        for _ in 0..<actorCount {
            let seq = try reader.uleb()
            guard seq <= Change.maximumCounter else { throw reader.invalid("first seq \(seq) is past \(Change.maximumCounter)") }
            firstSeq.append(seq == 0 ? 1 : seq)
        }
        // A shallow snapshot: the end of each compacted actor's last change before the horizon.
        var horizonSeqs = VersionVector()
        var horizonEnds: [ReplicaID: UInt64] = [:]
        var endsByActor = [UInt64](repeating: 0, count: actorCount)
        for index in 0..<actorCount where firstSeq[index] > 1 {
            let end = try reader.uleb()
            guard end >= 2 && end <= Change.maximumCounter + 1 else {
                throw reader.invalid("actor \(index)'s horizon ends at op \(end), outside 2...\(Change.maximumCounter + 1)")
            }
            horizonSeqs[actors[index]] = firstSeq[index] - 1
            horizonEnds[actors[index]] = end
            endsByActor[index] = end
        }
        horizon = Horizon(seqs: horizonSeqs, ends: horizonEnds)
        let stringCount = try reader.count("string")
        for _ in 0..<stringCount {
            let string = try reader.string()
            if let last = strings.last, string <= last { throw reader.invalid("strings not in ascending order") }
            strings.append(string)
        }
        let metadataCount = try reader.count("metadata")
        var metadata: [[UInt8]] = []
        metadata.reserveCapacity(metadataCount)
        for _ in 0..<metadataCount { metadata.append(Array(try reader.lengthPrefixed())) }
        let changeCount = try limited(&reader, SnapshotLimits.maximumChanges, "change")
        let opCount = try limited(&reader, SnapshotLimits.maximumOps, "op")
        let objectCount = try limited(&reader, SnapshotLimits.maximumObjects, "object")
        guard objectCount >= 1 else { throw reader.invalid("a snapshot holds at least the root object") }
        let present = try reader.uleb()
        guard present >> UInt64(SnapshotColumn.allCases.count) == 0 else {
            throw reader.invalid("the column mask names columns past the \(SnapshotColumn.allCases.count) of version 2")
        }
        for column in SnapshotColumn.allCases {
            guard present & (1 << UInt64(column.rawValue)) != 0 else {
                columnBytes.append(ByteReader([]))
                continue
            }
            let start = reader.offset
            let bytes = try reader.lengthPrefixed()
            guard !bytes.isEmpty else { throw DecodeError.invalid(offset: start, reason: "column \(column) is marked present but empty") }
            columnBytes.append(ByteReader(reader.bytes, from: bytes.startIndex, to: bytes.endIndex))
        }
        var retained: [Change] = []
        if flags & SnapshotFlags.retainedChanges != 0 {
            let start = reader.offset
            let blob = Array(try reader.lengthPrefixed())
            retained = try ChangeBatch.decode(blob, kind: .changeBatch)
            guard !retained.isEmpty else { throw DecodeError.invalid(offset: start, reason: "the retained changes are flagged but none is there") }
            for change in retained where change.seq > horizon.seqs[change.replica] {
                throw DecodeError.invalid(offset: start, reason: "retained change \(change.id) is not before the horizon \(horizon.seqs)")
            }
            if Set(retained.map(\.id)).count != retained.count {
                throw DecodeError.invalid(offset: start, reason: "a retained change is there twice")
            }
        }
        guard reader.isAtEnd else { throw reader.invalid("bytes left after the last column") }
        columns = SnapshotColumn.allCases.map {
            ColumnReader(columnBytes[$0.rawValue], name: $0.description, signed: $0.isSigned)
        }
        entryBytes = columnBytes[SnapshotColumn.entryValueBytes.rawValue]
        // Each op makes at most two of the state's items: a list insert makes an element and
        // its register entry; a write makes an entry; an increment a live increment.
        opsLeft = 2 * opCount + (horizon.isEmpty ? 0 : SnapshotLimits.maximumCompactedItems)

        try readObjects(count: objectCount)
        try readContents(opCount: opCount)
        for column in SnapshotColumn.allCases where column >= .objectKind && !column.isRaw {
            try columns[column.rawValue].finish()
        }

        let history = EncodedHistory(count: changeCount, opCount: opCount, actors: actors, firstSeq: firstSeq,
                                     horizonEnds: endsByActor, strings: strings, metadata: metadata, objects: objectTable,
                                     columns: columnBytes)
        let (outline, changes) = try history.check(against: objects, parents: parents, wanting: Set(valuesWanted.map(\.id)),
                                                   build: opCount <= SnapshotDecoder.eagerOpLimit)
        for place in valuesWanted {
            let fits: Bool
            guard let value = outline.values[place.id] else {
                throw DecodeError.invalid(offset: body.offset, reason: "register entry \(place.id) takes its value from an op the history does not hold as a write")
            }
            switch objects[place.object]! {
            case .map(let map): fits = map.keys[place.key]!.setLoadedValue(value, of: place.id)
            case .sequence(let list): fits = list.registers[place.element]!.setLoadedValue(value, of: place.id)
            }
            guard fits else {
                throw DecodeError.invalid(offset: body.offset, reason: "register entry \(place.id) is marked \(value.isCounter ? "not " : "")a counter, but the op that wrote it writes \(value)")
            }
        }
        // Objects created before the horizon are not the history's to create.
        let createdAfter = objectTable.dropFirst().filter { !horizon.isBefore($0.op) }.count
        guard outline.created == createdAfter else {
            throw DecodeError.invalid(offset: body.offset, reason: "the state holds \(createdAfter) objects created after the horizon; the history creates \(outline.created)")
        }
        // Both hold only lists and texts with at least one element, and no id twice (runs
        // overlapping are refused as they load; op counters never overlap), so they are equal
        // exactly when every sequence holds the elements the history inserts into it.
        // In a shallow snapshot, the elements inserted before the horizon are the state's alone.
        for id in Set(outline.inserted.keys).union(elementRanges.keys).sorted() {
            let held = ElementRange.normalized((elementRanges[id] ?? []).compactMap(horizon.after))
            let inserted = outline.inserted[id] ?? []
            guard held == inserted else {
                let first = zip(held, inserted).first { $0 != $1 }.map { "\($0.0.start)@\($0.0.replica) against \($0.1.start)@\($0.1.replica)" }
                throw DecodeError.invalid(offset: body.offset, reason: "the state's \(id) holds elements the history does not insert, or lacks some it does (\(Self.count(held)) held, \(Self.count(inserted)) inserted\(first.map { "; first difference \($0)" } ?? ""))")
            }
        }
        for id in namedOps where !Self.isOp(id, in: outline.spans) && !horizon.isBefore(id) {
            throw DecodeError.invalid(offset: body.offset, reason: "the state names op \(id), which is not in the history")
        }
        var maxCounter = outline.maxCounter
        for end in horizonEnds.values { maxCounter = max(maxCounter, end - 1) }
        return LoadedState(objects: objects, parents: parents, spans: outline.spans, positions: outline.positions,
                           version: outline.version, maxCounter: maxCounter, history: history, horizon: horizon, retained: retained,
                           changes: changes)
    }

    private func limited(_ reader: inout ByteReader, _ limit: Int, _ what: String) throws(DecodeError) -> Int {
        let value = try reader.uleb()
        guard value <= UInt64(limit) else { throw reader.invalid("\(value) \(what)s; a snapshot may hold at most \(limit)") }
        return Int(value)
    }

    private static func count(_ ranges: [ElementRange]) -> UInt64 { ranges.reduce(0) { $0 + ($1.end - $1.start) } }

    private static func isOp(_ id: OpID, in spans: [ReplicaID: [(start: UInt64, end: UInt64)]]) -> Bool {
        guard let list = spans[id.replica], !list.isEmpty else { return false }
        var low = 0
        var high = list.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if list[mid].start <= id.counter { low = mid } else { high = mid - 1 }
        }
        return list[low].start <= id.counter && id.counter < list[low].end
    }

    // MARK: Columns

    private mutating func next(_ column: SnapshotColumn, max limit: Int, _ what: String) throws(DecodeError) -> Int {
        try columns[column.rawValue].next(max: limit, what)
    }

    private mutating func signed(_ column: SnapshotColumn) throws(DecodeError) -> Int64 { try columns[column.rawValue].nextSigned() }

    private mutating func flag(_ column: SnapshotColumn, _ what: String) throws(DecodeError) -> Bool {
        try columns[column.rawValue].nextFlag(what)
    }

    private func invalid(_ column: SnapshotColumn, _ reason: String) -> DecodeError { columns[column.rawValue].invalid(reason) }

    /// Takes one op's worth of the budget for a register entry or a list element.
    private mutating func spendOp(_ column: SnapshotColumn, _ what: String) throws(DecodeError) {
        guard opsLeft > 0 else { throw invalid(column, "more \(what) than the snapshot has ops") }
        opsLeft -= 1
    }

    private mutating func actor(_ column: SnapshotColumn) throws(DecodeError) -> ReplicaID {
        let index = try next(column, max: actors.count - 1, "actor index")
        return actors[index]
    }

    private mutating func counter(_ column: SnapshotColumn, plus base: UInt64) throws(DecodeError) -> UInt64 {
        let delta = try signed(column)
        guard let value = SnapshotCounters.counter(base, plus: delta) else {
            throw invalid(column, "counter \(base) + (\(delta)) is outside 1...\(Change.maximumCounter)")
        }
        return value
    }

    // MARK: Objects

    private mutating func readObjects(count: Int) throws(DecodeError) {
        objectTable.reserveCapacity(count)
        objectTable.append(.root)
        objects[.root] = .map(MapObject())
        var previousCounter: UInt64 = 0
        for index in 1..<max(count, 1) {
            guard let kind = ObjectKind(rawValue: UInt8(try next(.objectKind, max: 2, "object kind"))) else {
                throw invalid(.objectKind, "unknown object kind")
            }
            let replica = try actor(.objectActor)
            previousCounter = try counter(.objectCounter, plus: previousCounter)
            let id = ObjectID(OpID(counter: previousCounter, replica: replica))
            guard id > objectTable[index - 1] else { throw invalid(.objectCounter, "objects not in ascending id order") }
            let parentIndex = try next(.objectParent, max: index - 1, "parent index")
            let parent = objectTable[parentIndex]
            let key: Key
            switch objects[parent]!.kind {
            case .map:
                let index = try next(.objectKey, max: strings.count - 1, "key")
                key = .map(strings[index])
            case .list:
                let elementReplica = try actor(.objectElementActor)
                let delta = try signed(.objectElementCounter)
                guard let element = SnapshotCounters.counter(id.op.counter, minus: delta) else {
                    throw invalid(.objectElementCounter, "element counter out of range")
                }
                key = .element(OpID(counter: element, replica: elementReplica))
            case .text:
                throw invalid(.objectParent, "object \(id)'s parent is a text")
            }
            objectTable.append(id)
            objects[id] = kind == .map ? .map(MapObject()) : .sequence(SequenceObject(kind: kind))
            parents[id] = (parent, key)
            namedOps.append(id.op)
        }
    }

    // MARK: Contents

    private mutating func readContents(opCount: Int) throws(DecodeError) {
        let text = try textScalars()
        var textUsed = 0
        var previousEntry: UInt64 = 0
        for id in objectTable {
            switch objects[id]! {
            case .map(let map):
                let keyCount = try next(.mapKeyCount, max: strings.count, "key count")
                var key = 0
                for number in 0..<keyCount {
                    let step = try next(.mapKey, max: strings.count - 1 - key, "key step")
                    guard number == 0 || step >= 1 else { throw invalid(.mapKey, "a map's keys are not in ascending order") }
                    key += step
                    place = (id, strings[key], place.element)
                    let register = try self.register(base: nil, previous: &previousEntry)
                    guard !register.entries.isEmpty else { throw invalid(.registerEntryCount, "a map key with no value") }
                    map.keys[strings[key]] = register
                }
            case .sequence(let sequence):
                // Each run is an insert op's, or (in a shallow snapshot) one from before the horizon.
                let runCount = try next(.sequenceRunCount, max: opCount + (horizon.isEmpty ? 0 : SnapshotLimits.maximumCompactedItems), "run count")
                var previousEnd: UInt64 = 0
                var last: (replica: ReplicaID, end: UInt64, visible: Bool)?
                for _ in 0..<runCount {
                    let replica = try actor(.runActor)
                    let start = try counter(.runStart, plus: previousEnd)
                    let count = try next(.runCount, max: Int(Int32.max), "run length")
                    guard count >= 1, UInt64(count - 1) <= Change.maximumCounter - start else {
                        throw invalid(.runCount, "run \(start)@\(replica) of \(count) elements is out of range")
                    }
                    let visible = try flag(.runVisible, "visibility")
                    if let last, last.replica == replica, last.end == start, last.visible == visible {
                        throw invalid(.runStart, "two runs that continue each other are not joined (runs must be maximal)")
                    }
                    var scalars = ArraySlice<Unicode.Scalar>()
                    if sequence.kind == .text {
                        guard text.count - textUsed >= count else {
                            throw DecodeError.invalid(offset: 0, reason: "column text.content holds fewer scalars than the texts' runs")
                        }
                        scalars = text[textUsed..<textUsed + count]
                        textUsed += count
                    } else {
                        guard count <= opsLeft else { throw invalid(.runCount, "more list elements than the snapshot has ops") }
                        opsLeft -= count
                    }
                    elementRanges[id, default: []].append(ElementRange(replica: replica, start: start, end: start + UInt64(count)))
                    let first = OpID(counter: start, replica: replica)
                    guard sequence.appendLoaded(start: first, count: count, isVisible: visible, scalars: scalars) else {
                        throw invalid(.runStart, "run \(first) of \(count) holds an element another run of \(id) holds")
                    }
                    previousEnd = start + UInt64(count)
                    last = (replica, previousEnd, visible)
                }
                if sequence.kind == .list {
                    place = (id, "", place.element)
                    try readElements(of: sequence, previous: &previousEntry)
                }
            }
        }
        guard textUsed == text.count else {
            throw DecodeError.invalid(offset: 0, reason: "column text.content holds more scalars than the texts' runs")
        }
        guard entryBytes.isAtEnd else { throw entryBytes.invalid("column entry.valueBytes holds bytes no entry uses") }
        for (id, parent) in parents {
            guard case .element(let element) = parent.key else { continue }
            guard case .sequence(let list) = objects[parent.object]!, list.contains(element) else {
                throw DecodeError.invalid(offset: 0, reason: "object \(id) sits at element \(element), which its list does not hold")
            }
        }
    }

    /// Every text's scalars, in object order, from the text content column.
    private func textScalars() throws(DecodeError) -> [Unicode.Scalar] {
        let reader = columnBytes[SnapshotColumn.textContent.rawValue]
        let slice = reader.bytes[reader.offset..<reader.end]
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw DecodeError.invalid(offset: reader.offset, reason: "column text.content is not valid UTF-8")
        }
        return Array(string.unicodeScalars)
    }

    private mutating func readElements(of list: SequenceObject, previous: inout UInt64) throws(DecodeError) {
        var elements: [(OpID, Bool)] = []
        list.tree.forEachRun { run in
            for offset in 0..<run.count { elements.append((run.start.advanced(by: UInt64(offset)), run.isVisible)) }
            return true
        }
        for (element, visible) in elements {
            place = (place.object, "", element)
            let register = try self.register(base: element.counter, previous: &previous)
            guard register.isEmpty != visible else {
                throw invalid(.runVisible, "list element \(element) is \(visible ? "visible" : "deleted") but its register says otherwise")
            }
            list.registers[element] = register
        }
    }

    private mutating func register(base: UInt64?, previous: inout UInt64) throws(DecodeError) -> Register {
        let count = try next(.registerEntryCount, max: opsLeft, "entry count")
        var entries: [Register.Entry] = []
        var previousID: OpID?
        for _ in 0..<count {
            try spendOp(.registerEntryCount, "register entries")
            let replica = try actor(.entryActor)
            let counter = try self.counter(.entryCounter, plus: base ?? previous)
            previous = counter
            let id = OpID(counter: counter, replica: replica)
            if let previousID, id <= previousID { throw invalid(.entryCounter, "register entries not in ascending id order") }
            previousID = id
            namedOps.append(id)
            let tag = try next(.entryValueTag, max: 18, "value tag")
            var entry: Register.Entry
            if tag >= 16 {
                guard let kind = ObjectKind(rawValue: UInt8(tag - 16)) else { throw invalid(.entryValueTag, "unknown value tag \(tag)") }
                let index = try entryBytes.uleb(max: objectTable.count - 1, "object index")
                let object = objectTable[index]
                guard object.op == id, objects[object]!.kind == kind else {
                    throw invalid(.entryValueTag, "entry \(id) holds object \(object), which is not the \(kind) it created")
                }
                entry = Register.Entry(id: id, value: .object(object, kind))
            } else {
                let compacted = horizon.isBefore(id)
                if tag == SnapshotValue.fromTheOp {
                    guard !compacted else {
                        throw invalid(.entryValueTag, "entry \(id) is before the horizon, so its op is not in the history: its value must be written with it")
                    }
                    valuesWanted.append((id, place.object, place.key, place.element))
                    entry = Register.Entry(id: id, value: .scalar(.null))
                } else {
                    guard compacted, tag <= SnapshotValue.maximumScalarTag else {
                        throw invalid(.entryValueTag, compacted ? "unknown entry value tag \(tag)" : "entry \(id) is after the horizon: its value is its op's (tag \(SnapshotValue.fromTheOp)), not written with it")
                    }
                    entry = Register.Entry(id: id, value: .scalar(try SnapshotValue.read(tag: tag, bytes: &entryBytes)))
                }
                let flags = try next(.entryCounterFlags, max: 2, "entry flags")
                if compacted, (flags != 0) != (entry.value.scalar?.isCounter ?? false) {
                    throw invalid(.entryCounterFlags, "entry \(id)'s counter flags say \(flags == 0 ? "not " : "")a counter, but its value is \(entry.value)")
                }
                if flags != 0 {
                    if !compacted { entry.value = .scalar(.counter(0)) }
                    entry.superseded = flags == 2
                    entry.increments = try entryBytes.sleb()
                    let live = try next(.entryLiveCount, max: opsLeft, "live increment count")
                    var previousLive: OpID?
                    for _ in 0..<live {
                        try spendOp(.entryLiveCount, "live increments")
                        let liveReplica = try actor(.entryLiveActor)
                        let liveCounter = try self.counter(.entryLiveCounter, plus: counter)
                        let liveID = OpID(counter: liveCounter, replica: liveReplica)
                        if let previousLive, liveID <= previousLive { throw invalid(.entryLiveCounter, "live increments not ascending") }
                        previousLive = liveID
                        namedOps.append(liveID)
                        entry.liveIncrements.append(liveID)
                    }
                }
            }
            entries.append(entry)
        }
        return Register(entries: entries)
    }
}
