import BenchCompare
import CRDT

/// The `trace` workload (and `trace-seph`) on this engine, as `workloads.json` defines it: a
/// sequential trace replayed into one text, a change per trace transaction; the snapshot
/// encoded and loaded back twice, once to read the text and once to make one more edit.
struct CompareTrace {
    var textName: String
    var replica: ReplicaID
    var loadedReplica: ReplicaID
    var extraEdit: (position: Int, delete: Int, insert: String)

    /// Reads the workload's names and numbers from its definition.
    init(spec: Fields) throws {
        guard let textName = spec["text_name"]?.string, let replica = spec["replica_id"]?.number,
              let loaded = spec["loaded_replica_id"]?.number, let edit = spec["extra_edit"]?.object,
              let position = edit["position"]?.number, let delete = edit["delete"]?.number, let insert = edit["insert"]?.string
        else { throw BenchError("trace: text_name, replica_id, loaded_replica_id or extra_edit missing from the definition") }
        self.textName = textName
        self.replica = ReplicaID(UInt64(replica))
        self.loadedReplica = ReplicaID(UInt64(loaded))
        self.extraEdit = (Int(position), Int(delete), insert)
    }

    /// One repetition on `trace`; the figures of the workload's `reports`.
    func run(_ trace: EditingTrace, name: String) throws -> Fields {
        let document = Document(replica: replica)
        // Our text is an object in the root map, made by an op; the peers' named texts cost
        // nothing to make, so neither is in the clock.
        var text = ObjectID.root
        try document.change { text = try $0.putObject(.root, textName, .text) }
        let replayMs = try milliseconds {
            for transaction in trace.transactions {
                try document.change { tx in
                    for patch in transaction {
                        try tx.splice(text, at: patch.position, delete: patch.deleteCount, insert: patch.insert)
                    }
                }
            }
        }
        let final = try document.text(text)
        var snapshot: [UInt8] = []
        let encodeMs = milliseconds { snapshot = document.encodeSnapshot() }
        var read = ""
        let loadReadMs = try milliseconds {
            let loaded = try Document(snapshot: snapshot, replica: loadedReplica)
            read = try loaded.text(try textObject(in: loaded))
        }
        var edited: Document?
        let edit = extraEdit
        let loadEditMs = try milliseconds {
            let document = try Document(snapshot: snapshot, replica: loadedReplica)
            let object = try textObject(in: document)
            try document.change { try $0.splice(object, at: edit.position, delete: edit.delete, insert: edit.insert) }
            edited = document
        }
        let afterEdit = try edited.map { try $0.text(try textObject(in: $0)) }
        let scalars = Array(final.unicodeScalars)
        var expectedEdit = String.UnicodeScalarView(scalars[..<edit.position])
        expectedEdit.append(contentsOf: edit.insert.unicodeScalars)
        expectedEdit.append(contentsOf: scalars[(edit.position + edit.delete)...])
        return [
            "trace": .string(name), "transactions": .int(trace.transactions.count), "patches": .int(trace.patchCount),
            "replay_ms": .double(replayMs), "snapshot_encode_ms": .double(encodeMs), "snapshot_bytes": .int(snapshot.count),
            "load_read_ms": .double(loadReadMs), "load_edit_ms": .double(loadEditMs),
            "final_length": .int(scalars.count), "matches_end_content": .bool(final == trace.endContent),
            "loaded_matches": .bool(read == final && afterEdit == String(expectedEdit)),
        ]
    }

    /// The text object at the workload's key of `document`'s root map.
    private func textObject(in document: Document) throws -> ObjectID {
        guard let object = try document.get(.root, textName)?.objectID else {
            throw BenchError("trace: the loaded snapshot has no text at '\(textName)'")
        }
        return object
    }
}
