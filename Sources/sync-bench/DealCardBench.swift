import BenchCompare
import CRDT

/// The deal-card merge workload: `documents` cards of 50 fields; three replicas of each
/// make `writes` concurrent field writes per card (seeded), then exchange everything as
/// encoded batches and merge. Reports time, bytes exchanged and whether all converged.
func benchDealCards(seed: UInt64, documents: Int = 1_000, writes: Int = 100) throws {
    var random = SplitMix64(seed: seed)
    let fieldNames = (0..<50).map { "field\($0)" }
    let replicaIDs = [ReplicaID(0x1001), ReplicaID(0x2002), ReplicaID(0x3003)]
    var bytesExchanged = 0
    var changesExchanged = 0
    var converged = true
    var conflicts = 0
    var replicaSets: [[Document]] = []
    replicaSets.reserveCapacity(documents)
    let createMs = try milliseconds {
        for _ in 0..<documents {
            let origin = Document(replica: replicaIDs[0])
            try origin.change { tx in
                for (index, name) in fieldNames.enumerated() {
                    if index % 2 == 0 {
                        try tx.put(.root, name, .int(Int64(index)))
                    } else {
                        try tx.put(.root, name, .string("value \(index)"))
                    }
                }
            }
            replicaSets.append([origin] + replicaIDs.dropFirst().map { origin.fork(as: $0) })
        }
    }
    let writeMs = try milliseconds {
        for replicas in replicaSets {
            for replica in replicas {
                for _ in 0..<writes {
                    let field = fieldNames[Int(random.next() % 50)]
                    let value = Int64(random.next() % 1_000_000)
                    try replica.change { try $0.put(.root, field, .int(value)) }
                }
            }
        }
    }
    let mergeMs = try milliseconds {
        for replicas in replicaSets {
            for source in replicas {
                for target in replicas where target !== source {
                    let blob = Change.encodeBatch(source.changes(since: target.version))
                    bytesExchanged += blob.count
                    let changes = try Change.decodeBatch(blob)
                    changesExchanged += changes.count
                    target.apply(changes)
                }
            }
        }
    }
    var snapshotBytes = 0
    var compactedBytes = 0
    let checkMs = try milliseconds {
        for replicas in replicaSets {
            let snapshot = replicas[0].encodeSnapshot()
            snapshotBytes += snapshot.count
            // What the card weighs compacted once every replica has seen everything.
            compactedBytes += try replicas[0].encodeSnapshot(horizon: replicas[0].version).count
            for other in replicas.dropFirst() where other.encodeSnapshot() != snapshot { converged = false }
            for name in fieldNames {
                let values = try replicas.map { try $0.get(.root, name) }
                if values[1] != values[0] || values[2] != values[0] { converged = false }
                if try replicas[0].conflicts(.root, name).count > 1 { conflicts += 1 }
            }
        }
    }
    report([
        "bench": "dealcards.merge", "documents": documents, "fields": fieldNames.count, "replicas": 3,
        "writes_per_replica_per_document": writes, "seed": seed,
        "create_ms": round2(createMs), "write_ms": round2(writeMs), "exchange_and_merge_ms": round2(mergeMs), "convergence_check_ms": round2(checkMs),
        "total_ms": round2(createMs + writeMs + mergeMs),
        "bytes_exchanged": bytesExchanged, "changes_exchanged": changesExchanged,
        "bytes_per_change": round2(Double(bytesExchanged) / Double(max(changesExchanged, 1))),
        "snapshot_bytes_per_document": snapshotBytes / documents, "compacted_bytes_per_document": compactedBytes / documents,
        "fields_left_in_conflict": conflicts, "converged": converged, "peak_rss_mib": peakResidentMiB(),
    ])
}
