/// Encodes a sequence of changes compactly, as a snapshot's history or a sync batch.
///
/// Changes are written in canonical order, ascending (startOp, replica), which is a causal
/// order and the same on every replica. Each change's header byte says what it shares with
/// the change before it (bit 0: same author; bit 1: starts where the previous change ended)
/// and with its author's previous change (bit 2: same deps; bit 3: same metadata), so a run
/// of keystrokes by one author costs a byte of header each. Seq numbers are implicit: each
/// author's first seq is in the table, and its changes follow on by one.
///
/// Version 2 (batches only) adds a table of the map keys the ops name, written once, each
/// op naming its key by index; header bit 4 for a change of one op (its count left out);
/// and an op's "same object" context that carries over from one change to the next. A
/// field edited a hundred times costs its name once, not a hundred times.
enum ChangeBatch {
    static func encode(_ changes: [Change], kind: BlobKind, version: UInt8? = nil) -> [UInt8] {
        let version = version ?? kind.currentVersion
        let ordered = changes.sorted { ($0.startOp, $0.replica) < ($1.startOp, $1.replica) }
        var replicas = Set<ReplicaID>()
        Change.collectReplicas(of: ordered, into: &replicas)
        var firstSeq: [ReplicaID: UInt64] = [:]
        var keys: [String] = []
        var keyIndex: [String: Int] = [:]
        var keyUses = 0
        var inlineKeyBytes = 0
        for change in ordered {
            if firstSeq[change.replica] == nil { firstSeq[change.replica] = change.seq }
            guard version >= 2 else { continue }
            for op in change.ops {
                switch op.action {
                case .set(.map(let key), _, _), .delete(.map(let key), _), .increment(.map(let key), _, _):
                    keyUses += 1
                    inlineKeyBytes += ByteWriter.lengthPrefixedSize(key.utf8.count)
                    if keyIndex[key] == nil {
                        keyIndex[key] = keys.count
                        keys.append(key)
                    }
                default: break
                }
            }
        }
        let table = replicas.sorted()
        var encoder = OpEncoder(actors: Dictionary(uniqueKeysWithValues: table.enumerated().map { ($1, $0) }))
        // Version 2 writes a key table only where it is smaller than the keys written in
        // place (some key is used more than once, and long enough).
        var tableBytes = ByteWriter.ulebSize(UInt64(keys.count)) + keyUses * ByteWriter.ulebSize(UInt64(max(keys.count - 1, 0)))
        for key in keys { tableBytes += ByteWriter.lengthPrefixedSize(key.utf8.count) }
        let withTable = version >= 2 && !keys.isEmpty && tableBytes < inlineKeyBytes
        encoder.writer.uleb(withTable ? 1 as UInt64 : 0)  // flags: bit 0, a key table follows the first seqs
        encoder.writer.uleb(table.count)
        for actor in table { encoder.writer.uint64LE(actor.rawValue) }
        for actor in table { encoder.writer.uleb(firstSeq[actor] ?? 0) }
        if withTable {
            encoder.writer.uleb(keys.count)
            for key in keys { encoder.writer.string(key) }
            encoder.keys = keyIndex
        }
        encoder.writer.uleb(ordered.count)
        var previous: Change?
        var lastOfAuthor: [ReplicaID: Change] = [:]
        for change in ordered {
            let prior = lastOfAuthor[change.replica]
            let priorDeps = prior?.deps ?? VersionVector()
            var header: UInt8 = 0
            if previous?.replica == change.replica { header |= 1 }
            if previous?.endOp == change.startOp { header |= 2 }
            if priorDeps == change.deps { header |= 4 }
            if let prior, prior.metadata == change.metadata { header |= 8 }
            let single = version >= 2 && change.ops.count == 1
            if single { header |= 16 }
            encoder.writer.byte(header)
            if header & 1 == 0 { encoder.writer.uleb(encoder.actors[change.replica]!) }
            if header & 2 == 0 { encoder.writer.uleb(change.startOp) }
            if header & 4 == 0 {
                let touched = Set(priorDeps.entries.keys).union(change.deps.entries.keys).sorted()
                let differing = touched.filter { priorDeps[$0] != change.deps[$0] }
                encoder.writer.uleb(differing.count)
                for replica in differing {
                    encoder.writer.uleb(encoder.actors[replica]!)
                    encoder.writer.uleb(change.deps[replica])
                }
            }
            if header & 8 == 0 { encoder.writer.lengthPrefixed(change.metadata) }
            if version < 2 { encoder.resetContext() }
            encoder.ops(change.ops, startOp: change.startOp, author: change.replica, count: !single)
            previous = change
            lastOfAuthor[change.replica] = change
        }
        return Blob.wrap(kind, version: version, body: encoder.writer.bytes)
    }

    static func decode(_ bytes: [UInt8], kind: BlobKind) throws(DecodeError) -> [Change] {
        var (reader, version) = try Blob.openAnyVersion(bytes, as: kind)
        // A snapshot of version 2 is not a batch: its reader is SnapshotDecoder.
        guard version == 1 || kind == .changeBatch else { throw .unsupportedVersion(kind: kind, version: version, supported: 1) }
        let flagsOffset = reader.offset
        let flags = try reader.uleb()  // version 1: none defined, ignored
        guard version < 2 || flags & ~1 == 0 else {
            throw DecodeError.invalid(offset: flagsOffset, reason: "unknown batch flags \(flags)")
        }
        let actors = try readActorTable(&reader)
        var nextSeq: [UInt64] = []
        for index in 0..<actors.count {
            let seq = try reader.uleb()
            guard seq <= Change.maximumCounter else { throw reader.invalid("first seq \(seq) of actor \(index) is outside 0...\(Change.maximumCounter)") }
            nextSeq.append(seq)
        }
        var keys: [String]?
        if version >= 2 && flags & 1 != 0 {
            let keyCount = try reader.count("key")
            var table: [String] = []
            table.reserveCapacity(keyCount)
            var seen = Set<String>()
            for _ in 0..<keyCount {
                let offset = reader.offset
                let key = try reader.string()
                guard seen.insert(key).inserted else { throw DecodeError.invalid(offset: offset, reason: "key \"\(key)\" is in the key table twice") }
                table.append(key)
            }
            keys = table
        }
        let count = try reader.count("change")
        var decoder = OpDecoder(actors: actors, reader: reader)
        decoder.keys = keys
        var changes: [Change] = []
        changes.reserveCapacity(min(count, 1_024))
        var previous: (author: Int, endOp: UInt64)?
        var lastOfAuthor: [Int: Change] = [:]
        for _ in 0..<count {
            let header = try decoder.reader.byte()
            guard header & (version >= 2 ? 0xE0 : 0xF0) == 0 else { throw decoder.reader.invalid("unknown change header bits \(header)") }
            let author: Int
            if header & 1 != 0 {
                guard let previous else { throw decoder.reader.invalid("'same author' on the first change") }
                author = previous.author
            } else {
                author = try decoder.reader.uleb(max: actors.count - 1, "actor index")
            }
            let startOp: UInt64
            if header & 2 != 0 {
                guard let previous else { throw decoder.reader.invalid("'continues' on the first change") }
                startOp = previous.endOp
            } else {
                startOp = try decoder.reader.uleb()
            }
            guard startOp >= 1 && startOp <= Change.maximumCounter else {
                throw decoder.reader.invalid("startOp \(startOp) is outside 1...\(Change.maximumCounter) (Change.maximumCounter)")
            }
            let prior = lastOfAuthor[author]
            var deps = prior?.deps ?? VersionVector()
            if header & 4 == 0 {
                let differing = try decoder.reader.count("dep")
                for _ in 0..<differing {
                    let index = try decoder.reader.uleb(max: actors.count - 1, "actor index")
                    guard index != author else { throw decoder.reader.invalid("dep names the author") }
                    let depSeq = try decoder.reader.uleb()
                    guard depSeq <= Change.maximumCounter else {
                        throw decoder.reader.invalid("dep seq \(depSeq) is outside 0...\(Change.maximumCounter)")
                    }
                    deps[actors[index]] = depSeq
                }
            }
            let metadata: [UInt8]
            if header & 8 != 0 {
                guard let prior else { throw decoder.reader.invalid("'same metadata' on an author's first change") }
                metadata = prior.metadata
            } else {
                metadata = Array(try decoder.reader.lengthPrefixed())
            }
            let seq = nextSeq[author]
            guard seq >= 1 else { throw decoder.reader.invalid("actor \(author) has changes but first seq 0") }
            guard seq <= Change.maximumCounter else {
                throw decoder.reader.invalid("seqs of actor \(author) pass \(Change.maximumCounter)")
            }
            nextSeq[author] = seq + 1
            if version < 2 { decoder.resetContext() }
            let ops = try decoder.ops(startOp: startOp, author: actors[author], known: header & 16 != 0 ? 1 : nil)
            let change = Change(replica: actors[author], seq: seq, startOp: startOp, deps: deps, metadata: metadata, ops: ops)
            changes.append(change)
            previous = (author, change.endOp)
            lastOfAuthor[author] = change
        }
        guard decoder.reader.isAtEnd else { throw decoder.reader.invalid("bytes left after the last change") }
        return changes
    }
}

extension Change {
    /// Encodes changes as one batch blob (kind ``BlobKind/changeBatch``), smaller than the
    /// changes encoded one by one.
    ///
    /// - Parameter formatVersion: 2 (the default: map keys in a table) or 1, for a reader
    ///   from before version 2. Any other value traps.
    public static func encodeBatch(_ changes: [Change], formatVersion: UInt8 = BlobKind.changeBatch.currentVersion) -> [UInt8] {
        precondition(BlobKind.changeBatch.readableVersions.contains(formatVersion), "change batches have format versions 1 and 2, not \(formatVersion)")
        return ChangeBatch.encode(changes, kind: .changeBatch, version: formatVersion)
    }

    /// Decodes a batch blob written by ``encodeBatch(_:formatVersion:)`` (either version),
    /// in canonical (causal) order.
    public static func decodeBatch(_ bytes: [UInt8]) throws(DecodeError) -> [Change] {
        try ChangeBatch.decode(bytes, kind: .changeBatch)
    }
}

extension Change {
    /// The changes a snapshot blob (of either format version) holds, in canonical order.
    ///
    /// - Complexity: a version 2 snapshot is loaded into a document first (its text inserts
    ///   keep their scalars in the state), then its history is decoded.
    public static func decodeSnapshot(_ bytes: [UInt8]) throws(DecodeError) -> [Change] {
        let (reader, version) = try Blob.openAnyVersion(bytes, as: .snapshot)
        if version == 1 { return try ChangeBatch.decode(bytes, kind: .snapshot) }
        return Document(replica: ReplicaID(UInt64.max), loaded: try SnapshotDecoder.decode(reader)).history
    }
}

extension Document {
    /// The whole document as a snapshot blob of the current format version (2): its state
    /// and its history in columns. Replicas that applied the same changes write
    /// byte-identical snapshots.
    ///
    /// Changes still waiting for dependencies are not included.
    public func encodeSnapshot() -> [UInt8] {
        SnapshotEncoder.encode(self)
    }

    /// The document as a snapshot of format version 1 (every applied change, no state), for a
    /// reader that does not read version 2 yet.
    ///
    /// - Throws: ``CRDTError/compacted(_:)`` when the document's history starts after a
    ///   horizon: version 1 has no way to say so.
    public func encodeSnapshotVersion1() throws(CRDTError) -> [UInt8] {
        guard horizon.isEmpty else { throw .compacted(horizon) }
        return ChangeBatch.encode(history, kind: .snapshot, version: 1)
    }

    /// A shallow snapshot: the document's state, and only the changes after `horizon`. A
    /// document loaded from it merges with every replica whose version includes `horizon`
    /// (``isBehindHorizon(_:)``), and refuses the changes of one that does not.
    ///
    /// `horizon` must be applied here (within ``version``), include this document's own
    /// horizon, and be causally closed: every change at or before it depends only on changes
    /// at or before it (a version some replica had is). The version every replica has seen
    /// is the usual choice. Deleted list and text elements from before the horizon that no
    /// later op names are left out, with what is inside them (protocol-spec/encoding.md,
    /// "Tombstones").
    ///
    /// `retaining` names changes at or before the horizon to keep anyway (``retainedChanges``):
    /// what an application reads about the state from the history (the author of a value in
    /// conflict, the last edit of a section) stays readable. Earlier retained changes not
    /// named again are dropped.
    public func encodeSnapshot(horizon seqs: VersionVector, retaining: Set<ChangeID> = []) throws(CRDTError) -> [UInt8] {
        guard seqs.isIncluded(in: version) else {
            throw .invalidHorizon(seqs, reason: "it names changes this document has not applied (its version is \(version))")
        }
        guard horizon.seqs.isIncluded(in: seqs) else {
            throw .invalidHorizon(seqs, reason: "the document's history already starts after \(horizon.seqs); a horizon cannot move back")
        }
        for change in history where change.seq <= seqs[change.replica] && !change.deps.isIncluded(in: seqs) {
            throw .invalidHorizon(seqs, reason: "change \(change.id) is at or before it but depends on \(change.deps), which is not: a horizon must be causally closed (a version some replica had)")
        }
        var ends: [ReplicaID: UInt64] = [:]
        for (replica, seq) in seqs.entries { ends[replica] = horizonEnd(of: replica, seq: seq) }
        var retained = retainedChanges.filter { retaining.contains($0.id) }
        var found = Set(retained.map(\.id))
        for change in history where retaining.contains(change.id) && change.seq <= seqs[change.replica] {
            retained.append(change)
            found.insert(change.id)
        }
        if let missing = retaining.subtracting(found).sorted().first {
            throw .invalidHorizon(seqs, reason: "change \(missing) cannot be retained: it is not a change of this document at or before the horizon")
        }
        return SnapshotEncoder.encode(self, horizon: Horizon(seqs: seqs, ends: ends), retained: retained)
    }

    /// The format version of a snapshot blob (1 or 2), after checking its frame and checksum.
    public static func snapshotFormatVersion(_ bytes: [UInt8]) throws(DecodeError) -> UInt8 {
        try Blob.openAnyVersion(bytes, as: .snapshot).1
    }

    /// Loads a snapshot written by ``encodeSnapshot()`` (or by ``encodeSnapshotVersion1()``),
    /// making new changes as `replica`.
    ///
    /// A version 2 snapshot is loaded without replaying: the state is built as stored and
    /// the history is checked against it (``SnapshotDecoder`` lists what is checked). With
    /// `verifying`, the history is also replayed into a second document and the two states
    /// must encode the same: for a snapshot from a source not trusted to have built its
    /// state honestly.
    ///
    /// - Throws: ``DecodeError`` when the bytes are malformed, or when a change in them is
    ///   refused or lacks a dependency (``DecodeError/rejected(_:)``).
    /// - Complexity: version 2: O(state + history) to read and check, no replay; version 1
    ///   (and `verifying`) replays the changes.
    public convenience init(snapshot bytes: [UInt8], replica: ReplicaID = .random(), verifying: Bool = false) throws(DecodeError) {
        let (reader, version) = try Blob.openAnyVersion(bytes, as: .snapshot)
        if version == 2 {
            let loaded = try SnapshotDecoder.decode(reader)
            if verifying {
                let replayed = Document(replica: replica)
                let report = replayed.apply(Document(replica: replica, loaded: loaded).history)
                if let refusal = report.refused.first { throw .rejected(refusal) }
                guard replayed.encodeSnapshot() == bytes else {
                    throw .invalid(offset: 0, reason: "the snapshot's state is not the state its history builds")
                }
            }
            self.init(replica: replica, loaded: loaded, from: bytes)
            return
        }
        let changes = try ChangeBatch.decode(bytes, kind: .snapshot)
        self.init(replica: replica)
        let report = apply(changes)
        if let refusal = report.refused.first { throw .rejected(refusal) }
        if let missing = report.pending.first {
            throw .rejected(.invalidChange(missing, reason: "its dependencies are not in the snapshot"))
        }
    }
}

extension VersionVector {
    /// The vector as a blob (kind ``BlobKind/versionVector``): entries sorted by replica.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.uleb(0 as UInt64)  // flags
        let entries = sorted
        writer.uleb(entries.count)
        for (replica, seq) in entries {
            writer.uint64LE(replica.rawValue)
            writer.uleb(seq)
        }
        return Blob.wrap(.versionVector, body: writer.bytes)
    }

    /// Decodes a blob written by ``encoded()``.
    public init(encoded bytes: [UInt8]) throws(DecodeError) {
        var reader = try Blob.open(bytes, as: .versionVector)
        _ = try reader.uleb()
        let count = try reader.count("entry")
        var vector = VersionVector()
        var previous: UInt64 = 0
        for _ in 0..<count {
            let raw = try reader.uint64LE()
            guard raw > previous else { throw reader.invalid("replicas not in ascending order") }
            previous = raw
            let seq = try reader.uleb()
            guard seq >= 1 && seq <= Change.maximumCounter else {
                throw reader.invalid("seq \(seq) in a version vector is outside 1...\(Change.maximumCounter)")
            }
            vector[ReplicaID(raw)] = seq
        }
        guard reader.isAtEnd else { throw reader.invalid("bytes left after the last entry") }
        self = vector
    }
}
