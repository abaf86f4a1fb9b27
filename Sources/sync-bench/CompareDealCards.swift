import BenchCompare
import CRDT

/// The `dealcards` and `incremental` workloads on this engine: deal cards as documents whose
/// root map holds the fields, three replicas each, writes and deltas as change batches.
struct CompareDealCards {
    /// One write, ready to make: the field's name and its value.
    typealias Write = (key: String, value: ScalarValue)

    var draws: DealCardDraws
    /// `writes[document][replica]`, drawn before any clock starts, as the peers draw them.
    var writes: [[[Write]]]
    /// Each document's write number `writesPerReplica` on A, for `incremental`.
    var extraWrites: [Write]

    init(definition: Fields) throws {
        let draws = try DealCardDraws(definition: definition)
        var (drawn, generators) = draws.allWrites()
        let names = draws.fieldNames
        writes = drawn.map { $0.map { $0.map { (names[$0.field], Self.scalar($0.value)) } } }
        drawn = []
        let index = draws.writesPerReplica
        self.draws = draws
        extraWrites = generators.indices.map { document in
            let write = draws.draw(&generators[document][0], index: index)
            return (names[write.field], Self.scalar(write.value))
        }
    }

    static func scalar(_ value: DealCardDraws.Value) -> ScalarValue {
        switch value {
        case .int(let number): .int(number)
        case .string(let text): .string(text)
        }
    }

    /// One repetition of `dealcards`; its figures, and the replicas of every document for
    /// `incremental`.
    func run() throws -> (fields: Fields, documents: [[Document]]) {
        let ids = draws.replicaIDs.map(ReplicaID.init)
        let initial: [Write] = draws.fieldNames.indices.map { (draws.fieldNames[$0], Self.scalar(draws.initialValue(field: $0))) }
        var documents: [[Document]] = []
        documents.reserveCapacity(draws.documents)
        let setupMs = try milliseconds {
            for _ in 0..<draws.documents {
                let a = Document(replica: ids[0])
                try a.change { tx in for field in initial { try tx.put(.root, field.key, field.value) } }
                let blob = Change.encodeBatch(a.changes(since: VersionVector()))
                var replicas = [a]
                for id in ids.dropFirst() {
                    let other = Document(replica: id)
                    other.apply(try Change.decodeBatch(blob))
                    replicas.append(other)
                }
                documents.append(replicas)
            }
        }
        let writeMs = try milliseconds {
            for (replicas, perReplica) in zip(documents, writes) {
                for (replica, sequence) in zip(replicas, perReplica) {
                    for write in sequence { try replica.change { try $0.put(.root, write.key, write.value) } }
                }
            }
        }
        var exchanged = 0
        var count = 0
        let pairs = ids.indices.flatMap { r in ids.indices.filter { $0 != r }.map { (receiver: r, sender: $0) } }
        let exchangeMs = try milliseconds {
            for replicas in documents {
                let versions = replicas.map(\.version)
                // All six encoded before any is applied, so each carries only its sender's writes.
                let blobs = pairs.map { Change.encodeBatch(replicas[$0.sender].changes(since: versions[$0.receiver])) }
                for (pair, blob) in zip(pairs, blobs) {
                    replicas[pair.receiver].apply(try Change.decodeBatch(blob))
                    exchanged += blob.count
                }
                count += blobs.count
            }
        }
        let converged = try documents.allSatisfy { replicas in
            let first = try Self.rootValue(replicas[0])
            return try replicas.dropFirst().allSatisfy { try Self.rootValue($0) == first }
        }
        let fields: Fields = [
            "documents": .int(draws.documents), "fields": .int(draws.fieldNames.count), "writes": .int(draws.writesPerReplica),
            "setup_ms": .double(setupMs), "write_ms": .double(writeMs), "exchange_ms": .double(exchangeMs),
            "total_ms": .double(setupMs + writeMs + exchangeMs),
            "bytes_exchanged": .int(exchanged), "deltas_exchanged": .int(count), "converged": .bool(converged),
        ]
        return (fields, documents)
    }

    /// One repetition of `incremental`: the whole of `dealcards`, then one more write on A
    /// per document and B catching up from its own version.
    func runIncremental() throws -> Fields {
        let documents = try run().documents
        let writeMs = try milliseconds {
            for (replicas, write) in zip(documents, extraWrites) {
                try replicas[0].change { try $0.put(.root, write.key, write.value) }
            }
        }
        var total = 0
        let deltaMs = try milliseconds {
            for replicas in documents {
                let (a, b) = (replicas[0], replicas[1])
                let blob = Change.encodeBatch(a.changes(since: b.version))
                b.apply(try Change.decodeBatch(blob))
                total += blob.count
            }
        }
        let converged = try documents.allSatisfy { try Self.rootValue($0[0]) == Self.rootValue($0[1]) }
        return [
            "documents": .int(draws.documents), "write_ms": .double(writeMs), "delta_ms": .double(deltaMs),
            "delta_bytes": .int(total), "delta_bytes_per_document": .double(Repeats.round2(Double(total) / Double(max(draws.documents, 1)))),
            "converged": .bool(converged),
        ]
    }

    /// The root map's visible values, key by key: what "the replicas' values are equal" compares.
    static func rootValue(_ document: Document) throws -> [String: Value] {
        var values: [String: Value] = [:]
        for key in try document.keys(.root) { values[key] = try document.get(.root, key) }
        return values
    }
}
