/// The numbers and the draws of the `dealcards` workload (`workloads.json`, `dealcards`):
/// which field each write sets and to what, so that every implementation writes the same.
public struct DealCardDraws: Sendable {
    /// A value a write or the creating transaction puts in a field.
    public enum Value: Hashable, Sendable {
        case int(Int64)
        case string(String)
    }

    public var documents: Int
    public var replicaIDs: [UInt64]
    public var fieldNames: [String]
    public var writesPerReplica: Int

    public init(documents: Int, replicaIDs: [UInt64], fieldNames: [String], writesPerReplica: Int) {
        self.documents = documents
        self.replicaIDs = replicaIDs
        self.fieldNames = fieldNames
        self.writesPerReplica = writesPerReplica
    }

    /// Reads the workload's numbers from `workloads.json`'s `dealcards` definition.
    ///
    /// - Throws: ``WorkloadError`` when a number is missing or the field names do not run
    ///   from `first` to `last`.
    public init(definition: Fields) throws(WorkloadError) {
        guard let documents = definition["documents"]?.number,
              case .array(let ids)? = definition["replica_ids"],
              let fields = definition["fields"]?.object, let count = fields["count"]?.number,
              let format = fields["name_format"]?.string,
              let writes = definition["writes_per_replica_per_document"]?.number
        else { throw WorkloadError("dealcards: documents, replica_ids, fields or writes_per_replica_per_document missing") }
        // Only the "%02d" form is used; anything else is refused rather than guessed.
        guard format == "f%02d" else { throw WorkloadError("dealcards: field name_format \(format) is not supported (only f%02d)") }
        let names = (0..<Int(count)).map { $0 < 10 ? "f0\($0)" : "f\($0)" }
        guard names.first == fields["first"]?.string, names.last == fields["last"]?.string else {
            throw WorkloadError("dealcards: the field names do not run from first to last")
        }
        self.init(documents: Int(documents), replicaIDs: ids.compactMap { $0.number.map { UInt64($0) } },
                  fieldNames: names, writesPerReplica: Int(writes))
    }

    /// Field `k`'s value in the creating transaction: `1000 * k` when k is even,
    /// `"init-k"` when it is odd.
    public func initialValue(field k: Int) -> Value {
        k % 2 == 0 ? .int(Int64(1000 * k)) : .string("init-\(k)")
    }

    /// The seed of one (document, replica) pair's generator: `document * 1000003 + replica_index + 1`.
    public static func seed(document: Int, replicaIndex: Int) -> UInt64 {
        UInt64(document) * 1_000_003 + UInt64(replicaIndex) + 1
    }

    /// Write number `index` from `generator`: two draws, the key first; the value is an
    /// integer for even writes, `"v"` and the number for odd ones.
    public func draw(_ generator: inout SplitMix64, index: Int) -> (field: Int, value: Value) {
        let field = Int(generator.next() % UInt64(fieldNames.count))
        let v = Int64(generator.next() % 1_000_000)
        return (field, index % 2 == 0 ? .int(v) : .string("v\(v)"))
    }

    /// Every write of every (document, replica), and each pair's generator after them (for
    /// the `incremental` workload's extra write): `writes[document][replica]`.
    ///
    /// - Complexity: O(documents × replicas × writes); drawn before any clock starts.
    public func allWrites() -> (writes: [[[(field: Int, value: Value)]]], generators: [[SplitMix64]]) {
        var writes: [[[(field: Int, value: Value)]]] = []
        var generators: [[SplitMix64]] = []
        writes.reserveCapacity(documents)
        for document in 0..<documents {
            var perReplica: [[(field: Int, value: Value)]] = []
            var gens: [SplitMix64] = []
            for replica in replicaIDs.indices {
                var generator = SplitMix64(seed: Self.seed(document: document, replicaIndex: replica))
                perReplica.append((0..<writesPerReplica).map { draw(&generator, index: $0) })
                gens.append(generator)
            }
            writes.append(perReplica)
            generators.append(gens)
        }
        return (writes, generators)
    }
}

/// A workload definition that cannot be run as written.
public struct WorkloadError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
