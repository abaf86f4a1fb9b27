import BenchCompare
import CRDT

/// The `concurrent` workload on this engine: one replica per agent, forked and merged by
/// encoded deltas (change batches) exactly as the trace's parents say.
struct CompareConcurrent {
    var textName: String

    init(spec: Fields) throws {
        guard let textName = spec["text_name"]?.string else { throw BenchError("concurrent: text_name missing from the definition") }
        self.textName = textName
    }

    /// One repetition on `trace`, whose plan was worked out before the clock.
    func run(_ trace: ConcurrentEditingTrace, plan: ConcurrentPlan, name: String) throws -> Fields {
        var replicas: [Document] = []
        var deltas: [[UInt8]] = []
        deltas.reserveCapacity(trace.transactions.count)
        var text = ObjectID.root
        let replayMs = try milliseconds {
            // A text is an object made by an op here, so one replica makes it and every other
            // starts from that change: the shared document the agents then edit.
            let first = Document(replica: ReplicaID(1))
            guard let creation = try first.change({ text = try $0.putObject(.root, textName, .text) }) else {
                throw BenchError("concurrent: the text was not made")
            }
            replicas = [first] + (1..<max(trace.agents, 1)).map { Document(replica: ReplicaID(UInt64($0 + 1)), changes: [creation]) }
            for (index, transaction) in trace.transactions.enumerated() {
                let replica = replicas[transaction.agent]
                for earlier in plan.before[index] { try Self.importDelta(deltas[earlier], into: replica) }
                let version = replica.version
                try replica.change { tx in
                    for patch in transaction.patches {
                        try tx.splice(text, at: patch.position, delete: patch.deleteCount, insert: patch.insert)
                    }
                }
                deltas.append(Change.encodeBatch(replica.changes(since: version)))
            }
            for earlier in plan.final { try Self.importDelta(deltas[earlier], into: replicas[0]) }
        }
        let final = try replicas[0].text(text)
        let applied = plan.applied
        return [
            "trace": .string(name), "transactions": .int(trace.transactions.count), "patches": .int(trace.patchCount),
            "agents": .int(trace.agents), "replay_ms": .double(replayMs), "deltas_applied": .int(applied.count),
            "delta_bytes_applied": .int(applied.reduce(0) { $0 + deltas[$1].count }),
            "final_length": .int(final.unicodeScalars.count), "matches_end_content": .bool(final == trace.endContent),
        ]
    }

    /// Decodes one delta and applies it; a change refused or left waiting means the plan or
    /// the engine is wrong, and the run stops.
    static func importDelta(_ blob: [UInt8], into replica: Document) throws {
        let report = replica.apply(try Change.decodeBatch(blob))
        guard report.refused.isEmpty, report.pending.isEmpty else {
            throw BenchError("a delta did not apply: refused \(report.refused), waiting \(report.pending)")
        }
    }
}
