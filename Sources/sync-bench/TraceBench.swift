import CRDT
import Foundation

/// Replays a sequential trace into one text object and reports time, memory, size and
/// whether the result equals the trace's end text.
func benchTrace(path: String, name: String) throws {
    let trace = try EditingTrace.load(path: path)
    // For profiling: replay the trace this many extra times first, so the replay dominates.
    let extra = Int(ProcessInfo.processInfo.environment["SYNC_BENCH_REPEAT"] ?? "") ?? 0
    for _ in 0..<extra {
        let warm = Document(replica: ReplicaID(1))
        var object = ObjectID.root
        try warm.change { object = try $0.putObject(.root, "text", .text) }
        for transaction in trace.transactions {
            try warm.change { tx in for patch in transaction { try tx.splice(object, at: patch.position, delete: patch.deleteCount, insert: patch.insert) } }
        }
    }
    let rssBefore = residentMiB()
    let document = Document(replica: ReplicaID(1))
    var text = ObjectID.root
    try document.change { text = try $0.putObject(.root, "text", .text) }
    let replayMs = try milliseconds {
        for transaction in trace.transactions {
            try document.change { tx in
                for patch in transaction {
                    try tx.splice(text, at: patch.position, delete: patch.deleteCount, insert: patch.insert)
                }
            }
        }
    }
    let peak = peakResidentMiB()
    let final = try document.text(text)
    report([
        "bench": "trace.replay", "trace": name, "patches": trace.patchCount,
        "ms": round2(replayMs), "peak_rss_mib": peak, "rss_before_mib": rssBefore,
        "final_length": final.unicodeScalars.count, "matches_end_content": final == trace.endContent,
    ])
    var snapshot: [UInt8] = []
    let encodeMs = milliseconds { snapshot = document.encodeSnapshot() }
    var loaded: Document?
    let decodeMs = try milliseconds { loaded = try Document(snapshot: snapshot, replica: ReplicaID(2)) }
    // Compacted at the document's own version: the state alone, no history.
    let compacted = try document.encodeSnapshot(horizon: document.version)
    report([
        "bench": "trace.snapshot", "trace": name, "snapshot_bytes": snapshot.count,
        "compacted_bytes": compacted.count, "compacted_vs_full": round2(Double(compacted.count) / Double(snapshot.count)),
        "bytes_per_change": round2(Double(snapshot.count) / Double(document.history.count)),
        "encode_ms": round2(encodeMs), "decode_ms": round2(decodeMs),
        "decode_vs_replay": round2(decodeMs / replayMs),
        "decoded_matches": try loaded?.text(text) == final,
    ])
}
