import Testing
@testable import CRDT
import TestSupport

/// Snapshot format version 2 (state plus columnar history): what loading without a replay
/// must keep of what a replay gives, and what it must refuse.
@Suite("Snapshot format version 2")
struct SnapshotVersion2Tests {
    /// A simulated document of every kind of object, built by `seed`.
    private func simulated(_ seed: UInt64) throws -> Document {
        var simulator = Simulator(seed: seed, replicaCount: 3)
        try simulator.run(steps: 40)
        simulator.syncAll()
        return simulator.replicas[0]
    }

    @Test(arguments: Array(UInt64(1)...40))
    func aLoadedSnapshotIsTheReplayedDocument(seed: UInt64) throws {
        let doc = try simulated(seed)
        let snapshot = doc.encodeSnapshot()
        let loaded = try Document(snapshot: snapshot, replica: ReplicaID(0xC0FFEE))
        #expect(loaded.historyCount == doc.historyCount, "seed \(seed)")
        #expect(try loaded.materialize() == doc.materialize(), "seed \(seed)")
        #expect(loaded.version == doc.version, "seed \(seed)")
        let canonical = doc.history.sorted { ($0.startOp, $0.replica) < ($1.startOp, $1.replica) }
        #expect(loaded.history == canonical, "seed \(seed): the decoded history is not the replayed one")
        #expect(loaded.encodeSnapshot() == snapshot, "seed \(seed): re-encoding changed the bytes")
        #expect(try Document(snapshot: snapshot, verifying: true).encodeSnapshot() == snapshot, "seed \(seed)")
    }

    @Test(arguments: Array(UInt64(1)...20))
    func aLoadedDocumentEditsAndMergesLikeTheOriginal(seed: UInt64) throws {
        let doc = try simulated(seed)
        let loaded = try Document(snapshot: doc.encodeSnapshot(), replica: ReplicaID(0xC0FFEE))
        let twin = doc.fork(as: ReplicaID(0xC0FFEE))
        for replica in [loaded, twin] {
            try replica.change { tx in
                let notes = try tx.putObject(.root, "after-load", .text)
                try tx.splice(notes, at: 0, insert: "edited")
            }
        }
        #expect(loaded.encodeSnapshot() == twin.encodeSnapshot(), "seed \(seed): an edit after loading differs from one after replaying")
        try doc.change { try $0.put(.root, "concurrent", "yes") }
        loaded.apply(doc.changes(since: loaded.version))
        doc.apply(loaded.changes(since: doc.version))
        #expect(try loaded.materialize() == doc.materialize(), "seed \(seed)")
        #expect(loaded.encodeSnapshot() == doc.encodeSnapshot(), "seed \(seed)")
    }

    @Test func aVersion1SnapshotLoadsAndUpgrades() throws {
        let doc = try EncodingTests.sample()
        let old = try doc.encodeSnapshotVersion1()
        #expect(try Document.snapshotFormatVersion(old) == 1)
        let loaded = try Document(snapshot: old)
        #expect(try loaded.materialize() == doc.materialize())
        #expect(loaded.encodeSnapshot() == doc.encodeSnapshot())
        #expect(try Document.snapshotFormatVersion(loaded.encodeSnapshot()) == 2)
    }

    /// Every byte of the body changed under a recomputed checksum: nothing traps; what the
    /// verifying load accepts is a consistent document of its own (a change to a metadata or
    /// value byte makes another valid history), re-encoding to the same bytes; and some
    /// changes that the plain load accepts (a state that its history does not build) are
    /// refused by the verifying one.
    @Test func everyBodyMutationUnderAGoodChecksumIsRefusedOrConsistent() throws {
        let snapshot = try EncodingTests.sample().encodeSnapshot()
        let body = Array(snapshot[6..<snapshot.count - 4])
        var caughtOnlyByVerifying = 0
        for index in body.indices {
            var mutated = body
            mutated[index] ^= 0x5A
            let blob = Blob.wrap(.snapshot, version: 2, body: mutated)
            let plain = try? Document(snapshot: blob)
            guard let verified = try? Document(snapshot: blob, verifying: true) else {
                if plain != nil { caughtOnlyByVerifying += 1 }
                continue
            }
            #expect(verified.encodeSnapshot() == blob, "byte \(index): an accepted snapshot is not canonical")
            let replayed = Document(replica: ReplicaID(9), changes: verified.history)
            #expect(try replayed.materialize() == verified.materialize(), "byte \(index): the state is not its history's")
        }
        #expect(caughtOnlyByVerifying > 0, "no state-only mutation got past the plain load: the verifying path is untested")
    }

    @Test func hugeDeclaredCountsAreRefusedBeforeAnyWork() throws {
        var writer = ByteWriter()
        writer.uleb(0 as UInt64)  // flags
        writer.uleb(0 as UInt64)  // actors
        writer.uleb(0 as UInt64)  // strings
        writer.uleb(0 as UInt64)  // metadata
        writer.uleb(UInt64(SnapshotLimits.maximumChanges) + 1)
        let refusal = decodeRefusal { () throws(DecodeError) in _ = try Document(snapshot: Blob.wrap(.snapshot, body: writer.bytes)) }
        guard case .invalid(_, let reason)? = refusal else { Issue.record("\(String(describing: refusal))"); return }
        #expect(reason.contains("a snapshot may hold at most"))
    }

    @Test func aShallowSnapshotsHorizonEndOutOfRangeIsRefused() throws {
        var writer = ByteWriter()
        writer.uleb(0 as UInt64)
        writer.uleb(1 as UInt64)
        writer.uint64LE(7)
        writer.uleb(2 as UInt64)  // the actor's history starts at seq 2: a shallow snapshot
        writer.uleb(1 as UInt64)  // its change 1 ends at op 1: impossible (ops start at 1)
        let refusal = decodeRefusal { () throws(DecodeError) in _ = try Document(snapshot: Blob.wrap(.snapshot, body: writer.bytes)) }
        guard case .invalid(_, let reason)? = refusal else { Issue.record("\(String(describing: refusal))"); return }
        #expect(reason.contains("horizon ends at op 1"), "\(reason)")
    }

    /// Deps need not grow: a change may name less than its author's previous change did (a
    /// client is free to send that, and it is applied). The snapshot writes the dropped dep as
    /// a step down to seq 0; loading it must give back the same history, not refuse it (which
    /// left a document that could be snapshotted but never loaded again).
    @Test func aChangeThatDependsOnLessThanItsAuthorsPreviousOneRoundTrips() throws {
        let bob = Document(replica: ReplicaID(2))
        for n in 0..<3 { try bob.change { try $0.put(.root, "b\(n)", "from bob") } }
        let alice = Document(replica: ReplicaID(1))
        alice.apply(bob.history)
        try alice.change { try $0.put(.root, "a", "first") }
        let first = try #require(alice.history.last)
        #expect(first.deps == VersionVector([ReplicaID(2): 3]))
        let second = Change(replica: first.replica, seq: 2, startOp: first.endOp, deps: VersionVector(), metadata: [],
                            ops: [Op(object: .root, action: .set(.map("a2"), .scalar(.string("second")), pred: []))])
        #expect(alice.apply([second]).applied == [second.id])
        let snapshot = alice.encodeSnapshot()
        let loaded = try Document(snapshot: snapshot)
        let canonical = alice.history.sorted { ($0.startOp, $0.replica) < ($1.startOp, $1.replica) }
        #expect(loaded.history == canonical)
        #expect(try loaded.materialize() == alice.materialize())
        #expect(loaded.encodeSnapshot() == snapshot)
    }

    /// A body written by hand: the header with `actors` and `strings`, one change of one op,
    /// `objects` objects, and `columns`' values run-length coded.
    private static func handMade(actors: [UInt64], strings: [String], objects: Int, columns: [SnapshotColumn: [UInt64]]) -> [UInt8] {
        var writer = ByteWriter()
        writer.uleb(0 as UInt64)
        writer.uleb(actors.count)
        for actor in actors { writer.uint64LE(actor) }
        for _ in actors { writer.uleb(1 as UInt64) }
        writer.uleb(strings.count)
        for string in strings { writer.string(string) }
        writer.uleb(0 as UInt64)  // metadata
        writer.uleb(1 as UInt64)  // changes
        writer.uleb(1 as UInt64)  // ops
        writer.uleb(objects)
        var present: UInt64 = 0
        for column in columns.keys { present |= 1 << UInt64(column.rawValue) }
        writer.uleb(present)
        for column in SnapshotColumn.allCases {
            guard let values = columns[column] else { continue }
            var coded = ColumnWriter(signed: column.isSigned)
            for value in values { coded.append(value) }
            writer.lengthPrefixed(coded.finish())
        }
        return Blob.wrap(.snapshot, body: writer.bytes)
    }

    /// An index into a table that is empty (no actors, no strings, no metadata) is refused
    /// with a reason; it once trapped converting the limit -1 to an unsigned bound.
    @Test(arguments: [
        ("no actors", Self.handMade(actors: [], strings: [], objects: 1, columns: [.mapKeyCount: [0], .changeAuthor: [0]])),
        ("no strings", Self.handMade(actors: [7], strings: [], objects: 2, columns: [
            .objectKind: [0], .objectActor: [0], .objectCounter: [1], .objectParent: [0], .objectKey: [0]])),
        ("no metadata", Self.handMade(actors: [7], strings: [], objects: 1, columns: [
            .mapKeyCount: [0], .changeAuthor: [0], .changeStart: [0], .changeOpCount: [1], .changeDepCount: [0], .changeMetadata: [0]])),
    ])
    func anIndexIntoAnEmptyTableIsRefusedNotATrap(name: String, blob: [UInt8]) throws {
        let refusal = decodeRefusal { () throws(DecodeError) in _ = try Document(snapshot: blob) }
        guard case .invalid(_, let reason)? = refusal else { Issue.record("\(name): \(String(describing: refusal))"); return }
        #expect(reason.contains("the table it indexes is empty"), "\(name): \(reason)")
    }
}
