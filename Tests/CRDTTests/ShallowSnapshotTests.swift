import Testing
@testable import CRDT
import TestSupport

/// Compaction: a shallow snapshot holds the state and only the changes after a horizon. What
/// it must keep: the state, the changes a replica past the horizon lacks, byte-identical
/// re-encoding, merging like the whole history does; and what it must refuse, with a reason:
/// the changes of a replica behind the horizon, horizons it cannot honour, damaged bytes.
@Suite("Shallow snapshots (compaction)")
struct ShallowSnapshotTests {
    /// A simulated document after 80 steps, and a horizon: replica 1's version after 40 (a
    /// version some replica had, so causally closed).
    private func simulated(_ seed: UInt64) throws -> (full: Document, horizon: VersionVector, early: Document) {
        var simulator = Simulator(seed: seed, replicaCount: 3)
        try simulator.run(steps: 40)
        let horizon = simulator.replicas[1].version
        let early = simulator.replicas[1].fork(as: ReplicaID(0xEA21))
        try simulator.run(steps: 40)
        simulator.syncAll()
        return (simulator.replicas[0], horizon, early)
    }

    @Test(arguments: Array(UInt64(1)...30))
    func aShallowSnapshotLoadsToTheSameStateWithTheLaterChangesOnly(seed: UInt64) throws {
        let (full, horizon, _) = try simulated(seed)
        let shallow = try full.encodeSnapshot(horizon: horizon)
        let loaded = try Document(snapshot: shallow, replica: ReplicaID(0xC0FFEE))
        #expect(loaded.horizon.seqs == horizon, "seed \(seed)")
        #expect(try loaded.materialize() == full.materialize(), "seed \(seed)")
        #expect(loaded.version == full.version, "seed \(seed)")
        let later = full.history.filter { $0.seq > horizon[$0.replica] }
        #expect(loaded.historyCount == later.count, "seed \(seed)")
        #expect(Set(loaded.history.map(\.id)) == Set(later.map(\.id)), "seed \(seed)")
        #expect(loaded.encodeSnapshot() == shallow, "seed \(seed): re-encoding a shallow snapshot changed its bytes")
        #expect(Set(loaded.changes(since: horizon).map(\.id)) == Set(later.map(\.id)), "seed \(seed)")
        #expect(shallow.count <= full.encodeSnapshot().count, "seed \(seed)")
    }

    /// Compacted at its own version: the state alone, no change left in the history.
    @Test(arguments: Array(UInt64(1)...30))
    func aDocumentCompactedAtItsOwnVersionIsItsStateAlone(seed: UInt64) throws {
        let (full, _, _) = try simulated(seed)
        let shallow = try full.encodeSnapshot(horizon: full.version)
        let loaded = try Document(snapshot: shallow, replica: ReplicaID(0xC0FFEE))
        #expect(loaded.historyCount == 0, "seed \(seed)")
        #expect(try loaded.materialize() == full.materialize(), "seed \(seed)")
        #expect(loaded.encodeSnapshot() == shallow, "seed \(seed)")
        try loaded.change { try $0.put(.root, "after", "all compacted") }
        full.apply(loaded.changes(since: full.version))
        #expect(try full.materialize() == loaded.materialize(), "seed \(seed)")
    }

    @Test(arguments: RepeatableRandom.seeds(pinned: Array(UInt64(1)...30), countVariable: "CRDT_FUZZ_SEEDS"))
    func aCompactedDocumentMergesWithAReplicaPastTheHorizon(seed: UInt64) throws {
        let (full, horizon, _) = try simulated(seed)
        let compacted = try Document(snapshot: full.encodeSnapshot(horizon: horizon), replica: ReplicaID(0xC0FFEE))
        let whole = full.fork(as: ReplicaID(0xC0FFEE))
        let peer = full.fork(as: ReplicaID(0xBEE5))
        #expect(!compacted.isBehindHorizon(peer.version))
        // Concurrent edits on both sides, the same on the compacted document and on its twin
        // with the whole history.
        for document in [compacted, whole] {
            try document.change { tx in
                try tx.put(.root, "after-compaction", "kept")
                let notes = try tx.putObject(.root, "notes", .text)
                try tx.splice(notes, at: 0, insert: "merged")
            }
        }
        try peer.change { try $0.put(.root, "peer", .int(7)) }
        for document in [compacted, whole] {
            let report = document.apply(peer.changes(since: document.version))
            #expect(report.refused.isEmpty && report.pending.isEmpty, "seed \(seed): \(report)")
        }
        peer.apply(compacted.changes(since: peer.version))
        #expect(try compacted.materialize() == whole.materialize(), "seed \(seed)")
        #expect(try peer.materialize() == whole.materialize(), "seed \(seed)")
        #expect(compacted.encodeSnapshot() == (try whole.encodeSnapshot(horizon: horizon)), "seed \(seed): the compacted document and the whole one compacted later differ")
        #expect(try Document(snapshot: compacted.encodeSnapshot()).materialize() == whole.materialize(), "seed \(seed)")
    }

    @Test(arguments: Array(UInt64(1)...10))
    func aReplicaBehindTheHorizonIsRefusedWithAReason(seed: UInt64) throws {
        let (full, horizon, early) = try simulated(seed)
        let compacted = try Document(snapshot: full.encodeSnapshot(horizon: horizon))
        // A replica that went offline just before the horizon: it lacks the last change before
        // it of every replica (and whatever depends on those).
        let behind = Document(replica: ReplicaID(0xB0B))
        behind.apply(early.history.filter { $0.seq < horizon[$0.replica] })
        try #require(compacted.isBehindHorizon(behind.version), "seed \(seed)")
        try behind.change { try $0.put(.root, "offline", "edit") }
        let change = try #require(behind.history.last)
        // The whole history takes it; the compacted one cannot, and says why.
        #expect(full.fork().apply([change]).applied == [change.id], "seed \(seed)")
        let report = compacted.apply([change])
        let refusal = try #require(report.refused.first, "seed \(seed): \(report)")
        #expect("\(refusal)".contains("compacted away"), "seed \(seed): \(refusal)")
        #expect(compacted.requiredStartOp(for: change) == nil)
        #expect(try compacted.materialize() == full.materialize(), "seed \(seed): a refused change changed something")
    }

    /// Changes kept from before the horizon answer change(containing:) for the ops of theirs
    /// that the state still names (an application reads authors and times from them); they
    /// are never sent, and survive loading, re-encoding and a fork.
    @Test func retainedChangesStayReadableAndAreNeverSent() throws {
        let full = Document(replica: ReplicaID(1))
        let bob = Document(replica: ReplicaID(2))
        try full.change(metadata: Array("alice, monday".utf8)) { try $0.put(.root, "price", .int(100)) }
        try bob.change(metadata: Array("bob, monday".utf8)) { try $0.put(.root, "price", .int(120)) }
        full.apply(bob.history)
        try full.change(metadata: Array("alice, tuesday".utf8)) { try $0.put(.root, "model", "Camry") }
        let horizon = full.version
        try full.change { try $0.put(.root, "trim", "Prestige") }
        // The two prices are in conflict: the changes behind them are worth keeping.
        let entries = try full.conflicts(.root, "price").map(\.id)
        #expect(entries.count == 2)
        let keep = Set(entries.compactMap { full.change(containing: $0)?.id })
        let shallow = try full.encodeSnapshot(horizon: horizon, retaining: keep)
        let loaded = try Document(snapshot: shallow)
        #expect(Set(loaded.retainedChanges.map(\.id)) == keep)
        for id in entries where full.change(containing: id).map({ keep.contains($0.id) }) == true {
            #expect(loaded.change(containing: id) == full.change(containing: id))
        }
        #expect(loaded.encodeSnapshot() == shallow)
        #expect(loaded.fork().encodeSnapshot() == shallow)
        #expect(!loaded.changes(since: horizon).contains { keep.contains($0.id) })
        #expect(shallow.count > (try full.encodeSnapshot(horizon: horizon)).count)
        // Compacting further keeps only what is named again; naming a change after the horizon is refused.
        #expect(try Document(snapshot: loaded.encodeSnapshot(horizon: loaded.version)).retainedChanges.isEmpty)
        let later = try #require(loaded.history.first)
        #expect(throws: CRDTError.self) { try loaded.encodeSnapshot(horizon: horizon, retaining: [later.id]) }
    }

    /// Deleted text from before the horizon that no later op names is left out of a shallow
    /// snapshot. Replicas past the horizon then edit the text concurrently, right next to
    /// the dropped tombstones too: the compacted document and one with the whole history
    /// take the same changes to the same text and the same bytes.
    @Test(arguments: RepeatableRandom.seeds(pinned: Array(UInt64(1)...20), countVariable: "CRDT_FUZZ_SEEDS"))
    func droppedTombstonesDoNotChangeWhereLaterInsertsGo(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let origin = Document(replica: ReplicaID(1))
        var text = ObjectID.root
        try origin.change { tx in
            text = try tx.putObject(.root, "notes", .text)
            try tx.splice(text, at: 0, insert: "the quick brown fox jumps over the lazy dog")
        }
        let second = origin.fork(as: ReplicaID(2))
        // Deletions and inserts on two replicas, merged: tombstones of both authors.
        for _ in 0..<6 {
            for replica in [origin, second] {
                let length = try replica.text(text).unicodeScalars.count
                let at = random.int(0..<max(length, 1))
                try replica.change { try $0.splice(text, at: at, delete: min(random.int(1..<4), length - at), insert: random.int(0..<2) == 0 ? "" : "xy") }
            }
            origin.apply(second.changes(since: origin.version))
            second.apply(origin.changes(since: second.version))
        }
        let horizon = origin.version
        try origin.change { try $0.splice(text, at: 0, insert: "> ") }
        let shallow = try origin.encodeSnapshot(horizon: horizon)
        let compacted = try Document(snapshot: shallow, replica: ReplicaID(9))
        let whole = origin.fork(as: ReplicaID(9))
        #expect(try compacted.text(text) == origin.text(text))
        #expect(Self.elementCount(compacted, text) < Self.elementCount(whole, text), "seed \(seed): no tombstone was left out")
        // Three replicas past the horizon insert and delete concurrently, at every position.
        let peers = (0..<3).map { origin.fork(as: ReplicaID(UInt64(20 + $0))) }
        for round in 0..<4 {
            for peer in peers {
                let length = try peer.text(text).unicodeScalars.count
                let at = random.int(0..<(length + 1))
                try peer.change { try $0.splice(text, at: at, delete: min(random.int(0..<2), length - at), insert: "\(round)") }
            }
            for target in [compacted, whole] + peers {
                for peer in peers { target.apply(peer.changes(since: target.version)) }
            }
        }
        #expect(try compacted.text(text) == whole.text(text), "seed \(seed)")
        #expect(try peers[0].text(text) == whole.text(text), "seed \(seed)")
        #expect(compacted.encodeSnapshot() == (try whole.encodeSnapshot(horizon: horizon)), "seed \(seed)")
        #expect(try Document(snapshot: compacted.encodeSnapshot()).text(text) == whole.text(text), "seed \(seed)")
    }

    /// Elements of a list or text, deleted ones included.
    private static func elementCount(_ document: Document, _ object: ObjectID) -> Int {
        guard case .sequence(let sequence)? = document.objects[object] else { return 0 }
        var count = 0
        sequence.tree.forEachRun { run in
            count += run.count
            return true
        }
        return count
    }

    /// The same for a list of records (maps holding a text): a deleted record from before
    /// the horizon that no later op names leaves, with the objects inside it.
    @Test(arguments: RepeatableRandom.seeds(pinned: Array(UInt64(1)...20), countVariable: "CRDT_FUZZ_SEEDS"))
    func droppedRecordsDoNotChangeWhereLaterInsertsGo(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let origin = Document(replica: ReplicaID(1))
        var list = ObjectID.root
        try origin.change { list = try $0.putObject(.root, "messages", .list) }
        func addRecord(_ replica: Document, at index: Int, _ label: String) throws {
            try replica.change { tx in
                let record = try tx.insertObject(list, at: index, .map)
                try tx.put(record, "label", .string(label))
                let body = try tx.putObject(record, "body", .text)
                try tx.splice(body, at: 0, insert: label)
            }
        }
        for index in 0..<8 { try addRecord(origin, at: index, "r\(index)") }
        let second = origin.fork(as: ReplicaID(2))
        for round in 0..<5 {
            for replica in [origin, second] {
                let length = try replica.length(list)
                if length > 0 && random.int(0..<3) > 0 {
                    try replica.change { try $0.remove(list, at: random.int(0..<length)) }
                } else {
                    try addRecord(replica, at: random.int(0..<(length + 1)), "s\(round)")
                }
            }
            origin.apply(second.changes(since: origin.version))
            second.apply(origin.changes(since: second.version))
        }
        let horizon = origin.version
        let compacted = try Document(snapshot: origin.encodeSnapshot(horizon: horizon), replica: ReplicaID(9))
        let whole = origin.fork(as: ReplicaID(9))
        #expect(try compacted.materialize() == whole.materialize(), "seed \(seed)")
        #expect(compacted.objects.count <= whole.objects.count, "seed \(seed)")
        let peers = (0..<3).map { origin.fork(as: ReplicaID(UInt64(20 + $0))) }
        for round in 0..<4 {
            for peer in peers {
                let length = try peer.length(list)
                if length > 0 && random.int(0..<2) == 0 {
                    try peer.change { try $0.remove(list, at: random.int(0..<length)) }
                } else {
                    try addRecord(peer, at: random.int(0..<(length + 1)), "p\(round)")
                }
            }
            for target in [compacted, whole] + peers {
                for peer in peers { target.apply(peer.changes(since: target.version)) }
            }
        }
        #expect(try compacted.materialize() == whole.materialize(), "seed \(seed)")
        #expect(try peers[0].materialize() == whole.materialize(), "seed \(seed)")
        #expect(compacted.encodeSnapshot() == (try whole.encodeSnapshot(horizon: horizon)), "seed \(seed)")
        #expect(try Document(snapshot: compacted.encodeSnapshot()).materialize() == whole.materialize(), "seed \(seed)")
    }

    @Test func deletedRecordsBeforeTheHorizonLeaveWithWhatIsInsideThem() throws {
        let document = Document(replica: ReplicaID(1))
        var list = ObjectID.root
        try document.change { tx in
            list = try tx.putObject(.root, "messages", .list)
            for index in 0..<20 {
                let record = try tx.insertObject(list, at: index, .map)
                let body = try tx.putObject(record, "body", .text)
                try tx.splice(body, at: 0, insert: String(repeating: "message \(index) ", count: 10))
            }
        }
        try document.change { tx in for _ in 0..<19 { try tx.remove(list, at: 1) } }
        let compacted = try Document(snapshot: document.encodeSnapshot(horizon: document.version))
        #expect(compacted.objects.count == 4, "the root, the list, the record left and its body: \(compacted.objects.count)")
        #expect(Self.elementCount(compacted, list) == 1)
        #expect(try compacted.materialize() == document.materialize())
    }

    @Test func deletedTextBeforeTheHorizonIsLeftOut() throws {
        let document = Document(replica: ReplicaID(1))
        var text = ObjectID.root
        try document.change { tx in
            text = try tx.putObject(.root, "notes", .text)
            try tx.splice(text, at: 0, insert: String(repeating: "a long paragraph that is deleted later. ", count: 50))
        }
        try document.change { try $0.splice(text, at: 0, delete: 2_000, insert: "short") }
        let keepingTombstones = try document.encodeSnapshot(horizon: VersionVector([ReplicaID(1): 1]))
        let compacted = try document.encodeSnapshot(horizon: document.version)
        #expect(compacted.count < 200, "\(compacted.count) bytes: the deleted paragraph is still there")
        #expect(keepingTombstones.count > 2_000, "a horizon before the deletion keeps what the later delete names")
        #expect(try Document(snapshot: compacted).text(text) == "short")
    }

    @Test func horizonsThatCannotBeHonouredAreRefused() throws {
        let (full, horizon, _) = try simulated(3)
        var ahead = full.version
        ahead[ReplicaID(0xFFFF)] = 1
        #expect(throws: CRDTError.self) { try full.encodeSnapshot(horizon: ahead) }
        let compacted = try Document(snapshot: full.encodeSnapshot(horizon: horizon))
        #expect(throws: CRDTError.self) { try compacted.encodeSnapshot(horizon: VersionVector()) }
        #expect(throws: CRDTError.compacted(compacted.horizon)) { try compacted.encodeSnapshotVersion1() }
        #expect(try compacted.encodeSnapshot(horizon: full.version).count > 0, "compacting further is allowed")
    }

    @Test func aHorizonThatIsNotCausallyClosedIsRefused() throws {
        let alice = Document(replica: ReplicaID(1))
        let bob = Document(replica: ReplicaID(2))
        try alice.change { try $0.put(.root, "a", "1") }
        bob.apply(alice.history)
        try bob.change { try $0.put(.root, "b", "1") }
        alice.apply(bob.history)
        // Bob's first change depends on Alice's: a horizon holding it but not Alice's is open.
        let open = VersionVector([ReplicaID(2): 1])
        #expect { try alice.encodeSnapshot(horizon: open) } throws: { error in
            guard case CRDTError.invalidHorizon(_, let reason) = error else { return false }
            return reason.contains("causally closed")
        }
    }

    @Test func aCompactedDocumentRollsBackAFailedTransaction() throws {
        let (full, horizon, _) = try simulated(5)
        let compacted = try Document(snapshot: full.encodeSnapshot(horizon: horizon))
        let before = try compacted.materialize()
        struct Abandon: Error {}
        #expect(throws: Abandon.self) {
            try compacted.change { tx in
                try tx.put(.root, "half", "done")
                throw Abandon()
            }
        }
        #expect(compacted.rebuilds == 1)
        #expect(try compacted.materialize() == before)
        try compacted.change { try $0.put(.root, "next", "edit") }
        #expect(try compacted.get(.root, "next") == .scalar(.string("edit")))
    }

    /// Every byte of a shallow snapshot's body changed under a good checksum: nothing traps,
    /// and what loads re-encodes to the same bytes; every truncation is refused.
    @Test func damagedShallowSnapshotsAreRefusedOrConsistent() throws {
        let (full, horizon, _) = try simulated(7)
        let shallow = try full.encodeSnapshot(horizon: horizon)
        let body = Array(shallow[6..<shallow.count - 4])
        for index in body.indices {
            var mutated = body
            mutated[index] ^= 0x5A
            let blob = Blob.wrap(.snapshot, version: 2, body: mutated)
            guard let loaded = try? Document(snapshot: blob) else { continue }
            // Byte 0 is the flags: none is defined, and unknown ones are ignored (not written back).
            if index == 0 { continue }
            #expect(loaded.encodeSnapshot() == blob, "byte \(index): an accepted shallow snapshot is not canonical")
        }
        for length in stride(from: 0, to: shallow.count, by: max(1, shallow.count / 200)) {
            #expect(throws: DecodeError.self, "truncated to \(length)") { try Document(snapshot: Array(shallow.prefix(length))) }
        }
    }
}
