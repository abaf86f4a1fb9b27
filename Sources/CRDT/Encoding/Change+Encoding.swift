extension Change {
    /// Every replica this change names: its author, its deps, and the authors of the ops it
    /// refers to.
    var referencedReplicas: Set<ReplicaID> {
        var replicas: Set<ReplicaID> = []
        collectReplicas(into: &replicas)
        return replicas
    }

    /// Adds the replicas this change names to `replicas`.
    func collectReplicas(into replicas: inout Set<ReplicaID>) {
        replicas.insert(replica)
        for (dep, _) in deps.entries { replicas.insert(dep) }
        collectOpReplicas(into: &replicas)
    }

    /// Adds the replicas `changes` name to `replicas`. A run of changes by one author with
    /// the same deps (a run of keystrokes) adds its author and deps once, not once a change.
    static func collectReplicas(of changes: some Sequence<Change>, into replicas: inout Set<ReplicaID>) {
        var lastAuthor: ReplicaID?
        var lastDeps: VersionVector?
        for change in changes {
            if change.replica != lastAuthor {
                replicas.insert(change.replica)
                lastAuthor = change.replica
            }
            if change.deps != lastDeps {
                for (dep, _) in change.deps.entries { replicas.insert(dep) }
                lastDeps = change.deps
            }
            change.collectOpReplicas(into: &replicas)
        }
    }

    /// Adds the replicas other than the author that this change's ops refer to.
    func collectOpReplicas(into replicas: inout Set<ReplicaID>) {
        func add(_ id: OpID?) { if let id, id.counter != 0, id.replica != replica { replicas.insert(id.replica) } }
        for op in ops {
            add(op.object.op)
            switch op.action {
            case .set(let key, _, let pred), .delete(let key, let pred):
                if case .element(let element) = key { add(element) }
                pred.forEach(add)
            case .increment(let key, let counter, _):
                if case .element(let element) = key { add(element) }
                add(counter)
            case .insert(let origin, _): add(origin)
            case .insertText(let origin, _): add(origin)
            case .deleteRun(let start, _): add(start)
            }
        }
    }

    /// The change as a standalone blob (kind ``BlobKind/change``); see
    /// `protocol-spec/encoding.md` for the byte layout.
    public func encoded() -> [UInt8] {
        let others = referencedReplicas.subtracting([replica]).sorted()
        let table = [replica] + others
        var encoder = OpEncoder(actors: Dictionary(uniqueKeysWithValues: table.enumerated().map { ($1, $0) }))
        encoder.writer.uleb(0 as UInt64)  // flags
        encoder.writer.uleb(table.count)
        for actor in table { encoder.writer.uint64LE(actor.rawValue) }
        encoder.writer.uleb(seq)
        encoder.writer.uleb(startOp)
        let sortedDeps = deps.sorted
        encoder.writer.uleb(sortedDeps.count)
        for (dep, depSeq) in sortedDeps {
            encoder.writer.uleb(encoder.actors[dep]!)
            encoder.writer.uleb(depSeq)
        }
        encoder.writer.lengthPrefixed(metadata)
        encoder.ops(ops, startOp: startOp, author: replica)
        return Blob.wrap(.change, body: encoder.writer.bytes)
    }

    /// Decodes a blob written by ``encoded()``.
    ///
    /// - Throws: ``DecodeError`` for any malformed, truncated or damaged input; never traps.
    public init(encoded bytes: [UInt8]) throws(DecodeError) {
        var reader = try Blob.open(bytes, as: .change)
        _ = try reader.uleb()  // flags: none defined yet; unknown ones are ignored
        let actors = try readActorTable(&reader)
        let seq = try reader.uleb()
        guard seq >= 1 && seq <= Change.maximumCounter else {
            throw reader.invalid("seq \(seq) is outside 1...\(Change.maximumCounter)")
        }
        let startOp = try reader.uleb()
        guard startOp >= 1 && startOp <= Change.maximumCounter else {
            throw reader.invalid("startOp \(startOp) is outside 1...\(Change.maximumCounter) (Change.maximumCounter)")
        }
        let depCount = try reader.count("dep")
        var deps = VersionVector()
        var previous: ReplicaID?
        for _ in 0..<depCount {
            let index = try reader.uleb(max: actors.count - 1, "actor index")
            let depSeq = try reader.uleb()
            guard index != 0, depSeq >= 1 else { throw reader.invalid("dep names the author or seq 0") }
            guard depSeq <= Change.maximumCounter else { throw reader.invalid("dep seq \(depSeq) is outside 1...\(Change.maximumCounter)") }
            guard previous == nil || actors[index] > previous! else { throw reader.invalid("deps not in ascending order") }
            previous = actors[index]
            deps[actors[index]] = depSeq
        }
        let metadata = Array(try reader.lengthPrefixed())
        var decoder = OpDecoder(actors: actors, reader: reader)
        let ops = try decoder.ops(startOp: startOp, author: actors[0])
        guard decoder.reader.isAtEnd else { throw decoder.reader.invalid("bytes left after the last op") }
        self.init(replica: actors[0], seq: seq, startOp: startOp, deps: deps, metadata: metadata, ops: ops)
    }
}

/// Reads an actor table: a count, then that many distinct non-zero 8-byte replica ids.
func readActorTable(_ reader: inout ByteReader) throws(DecodeError) -> [ReplicaID] {
    let count = try reader.uleb()
    guard count >= 1 else { throw reader.invalid("empty actor table") }
    guard count <= UInt64(reader.remaining / 8) else {
        throw reader.remaining < 8 ? .incomplete(offset: reader.end) : reader.invalid("actor count \(count) exceeds the bytes left")
    }
    var actors: [ReplicaID] = []
    actors.reserveCapacity(Int(count))
    var seen = Set<UInt64>()
    for _ in 0..<count {
        let raw = try reader.uint64LE()
        guard raw != 0, seen.insert(raw).inserted else { throw reader.invalid("actor id zero or repeated") }
        actors.append(ReplicaID(raw))
    }
    return actors
}
