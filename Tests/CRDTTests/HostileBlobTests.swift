import Testing
@testable import CRDT

/// Hand-written blobs with hostile numbers in every counter field: values at and past
/// 2⁶², at 2⁶³ and at `UInt64.max`, and the limits of one change. Each must be refused as
/// invalid with a reason naming the field, never trap, never allocate by a claimed count.
@Suite("Hostile numbers in blobs")
struct HostileBlobTests {
    static let hostile: [UInt64] = [Change.maximumCounter + 1, 1 << 63, (1 << 63) + 1, .max - 1, .max]

    /// The reason of the `.invalid` refusal of `bytes` as a change, or a description of what
    /// happened instead.
    private func changeRefusal(_ bytes: [UInt8]) -> String {
        switch decodeRefusal({ () throws(DecodeError) in _ = try Change(encoded: bytes) }) {
        case .invalid(_, let reason)?: reason
        case let other?: "not invalid: \(other)"
        case nil: "decoded"
        }
    }

    private func batchRefusal(_ bytes: [UInt8]) -> String {
        switch decodeRefusal({ () throws(DecodeError) in _ = try Change.decodeBatch(bytes) }) {
        case .invalid(_, let reason)?: reason
        case let other?: "not invalid: \(other)"
        case nil: "decoded"
        }
    }

    @Test func theCraftedDefaultsDecode() throws {
        #expect(changeRefusal(CraftedChange().bytes) == "decoded")
        #expect(batchRefusal(CraftedBatch().bytes) == "decoded")
        #expect(changeRefusal(CraftedChange(seq: Change.maximumCounter, startOp: Change.maximumCounter - 1).bytes) == "decoded")
    }

    @Test(arguments: [0] + HostileBlobTests.hostile)
    func seq(_ value: UInt64) {
        #expect(changeRefusal(CraftedChange(seq: value).bytes).hasPrefix("seq \(value) is outside"))
    }

    @Test(arguments: [0] + HostileBlobTests.hostile)
    func startOp(_ value: UInt64) {
        #expect(changeRefusal(CraftedChange(startOp: value).bytes).hasPrefix("startOp \(value) is outside"))
    }

    @Test func widthsThatPassTheCounterRangeOrTheLimit() {
        // The last counter a change may use is maximumCounter - 1 (its endOp is at most
        // maximumCounter).
        #expect(changeRefusal(CraftedChange(startOp: Change.maximumCounter).bytes).hasPrefix("op counters pass"))
        #expect(changeRefusal(CraftedChange(startOp: Change.maximumCounter - 3, ops: [CraftedOp.insertText("abcd")]).bytes).hasPrefix("op counters pass"))
        #expect(changeRefusal(CraftedChange(startOp: Change.maximumCounter - 4, ops: [CraftedOp.insertText("abcd")]).bytes) == "decoded")
        let limit = Int(Change.maximumWidth)
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.insertText(String(repeating: "a", count: limit + 1))]).bytes)
            .contains("takes the change past 1000000 op counters (Change.maximumWidth)"))
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.insertText(String(repeating: "a", count: 600_000)),
                                               CraftedOp.insertText(String(repeating: "b", count: limit - 600_000 + 1))]).bytes)
            .contains("(Change.maximumWidth)"))
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.insertText(String(repeating: "é", count: limit))]).bytes) == "decoded")
        // Width already used up by text, then one more op of width 1.
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.insertText(String(repeating: "a", count: limit)), CraftedOp.setRoot]).bytes)
            .contains("passes 1000000 op counters (Change.maximumWidth)"))
    }

    @Test func opCounts() {
        let tooMany = CraftedChange(ops: [CraftedOp.setRoot] + Array(repeating: CraftedOp.tinyDelete, count: Change.maximumOps))
        #expect(changeRefusal(tooMany.bytes) == "a change of 100001 ops; a change may hold at most 100000 (Change.maximumOps)")
        let atLimit = CraftedChange(ops: [CraftedOp.setRoot] + Array(repeating: CraftedOp.tinyDelete, count: Change.maximumOps - 1))
        #expect(changeRefusal(atLimit.bytes) == "decoded")
        for value in Self.hostile {
            #expect(changeRefusal(CraftedChange(opCount: value).bytes).contains("op count \(value) is larger than"), "\(value)")
        }
    }

    @Test(arguments: [
        10, 11, 1_000, -Int64(Change.maximumCounter - 9), -(1 << 62), 1 << 62, .min, .max, .min + 1,
    ] as [Int64])
    func relativeIDsOutsideTheCounterRange(delta: Int64) {
        // The op's own id has counter 10: delta 10 names counter 0, -(max - 9) one past the range.
        let reason = changeRefusal(CraftedChange(ops: [CraftedOp.deleteRun(delta: delta)]).bytes)
        #expect(reason.hasPrefix("op id 10 - (\(delta)) is outside counters"), "\(reason)")
    }

    @Test func relativeIDsInsideTheRangeDecode() throws {
        for delta: Int64 in [9, 0, -1, -Int64(Change.maximumCounter - 10)] {
            let change = try Change(encoded: CraftedChange(ops: [CraftedOp.deleteRun(delta: delta)]).bytes)
            guard case .deleteRun(let start, _) = change.ops[0].action else { Issue.record("not a delete run"); continue }
            #expect(start.counter == UInt64(Int64(10) - delta))
        }
    }

    @Test(arguments: [Change.maximumCounter * 2 + 2, 1 << 63, .max - 1, .max] as [UInt64])
    func optionalRefsOutsideTheCounterRange(raw: UInt64) {
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.insert(rawOrigin: raw)]).bytes).contains("is outside counters"), "\(raw)")
    }

    @Test(arguments: [2, 1 << 62, .max] as [UInt64])
    func actorIndexes(index: UInt64) {
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.deleteRun(delta: 1, actor: index)]).bytes).hasPrefix("actor index \(index) exceeds 1"))
    }

    @Test(arguments: [0, 1 << 31, 1 << 62, 1 << 63, .max] as [UInt64])
    func deleteCounts(count: UInt64) {
        #expect(changeRefusal(CraftedChange(ops: [CraftedOp.deleteRun(delta: 1, count: count)]).bytes).hasPrefix("delete count \(count) out of range"))
    }

    @Test func deleteRunsPastTheCounterRange() {
        // Starts at the op's own counter, maximumCounter - 2: the run's last id passes the range.
        let start = Change.maximumCounter - 2
        #expect(changeRefusal(CraftedChange(startOp: start, ops: [CraftedOp.deleteRun(delta: 0, count: 4)]).bytes).hasPrefix("delete run"))
        #expect(changeRefusal(CraftedChange(startOp: start, ops: [CraftedOp.deleteRun(delta: 0, count: 3)]).bytes) == "decoded")
    }

    @Test(arguments: [0] + HostileBlobTests.hostile)
    func depSeqs(_ value: UInt64) {
        #expect(changeRefusal(CraftedChange(deps: [(1, value)]).bytes).hasPrefix("dep"))
    }

    @Test(arguments: HostileBlobTests.hostile)
    func depCounts(_ value: UInt64) {
        #expect(changeRefusal(CraftedChange(depCount: value).bytes).contains("dep count \(value) is larger than"))
    }

    @Test(arguments: HostileBlobTests.hostile)
    func batchFields(_ value: UInt64) {
        #expect(batchRefusal(CraftedBatch(firstSeqs: [value, 0]).bytes).hasPrefix("first seq \(value)"))
        #expect(batchRefusal(CraftedBatch(changes: [CraftedBatchChange(startOp: value)]).bytes).hasPrefix("startOp \(value) is outside"))
        #expect(batchRefusal(CraftedBatch(changes: [CraftedBatchChange(header: 0, deps: [(1, value)])]).bytes).hasPrefix("dep seq \(value)"))
        #expect(batchRefusal(CraftedBatch(changeCount: value).bytes).contains("change count \(value) is larger than"))
    }

    /// Version 2's key table and one-op bit: every way to get them wrong is refused with
    /// what was wrong.
    @Test func batchVersion2KeyTableAndHeader() throws {
        // A set of root key 0 of the table to int 1, its count left out (bit 4).
        func setKey(_ index: UInt64) -> [UInt8] {
            var writer = ByteWriter()
            writer.byte(0)
            writer.byte(0)
            writer.uleb(index)
            writer.byte(3)
            writer.sleb(1)
            writer.uleb(0 as UInt64)
            return writer.bytes
        }
        let setKey0 = setKey(0)
        let one = CraftedBatchChange(header: 0b1_0100, ops: [setKey0])
        #expect(batchRefusal(CraftedBatch(changes: [one], version: 2, keys: [Array("k".utf8)]).bytes) == "decoded")
        // Without a key table (flags 0), keys are strings in place: index 0 reads as the empty key.
        let inPlace = CraftedBatch(changes: [one], version: 2, keys: []).bytes
        #expect(batchRefusal(inPlace) == "decoded")
        #expect(try Change.decodeBatch(inPlace).first?.ops.first?.action == .set(.map(""), .scalar(.int(1)), pred: []))
        #expect(batchRefusal(CraftedBatch(changes: [one], version: 2, keys: [Array("k".utf8), Array("k".utf8)]).bytes)
            == "key \"k\" is in the key table twice")
        #expect(batchRefusal(CraftedBatch(changes: [one], version: 2, keys: [[0xFF]]).bytes) == "string is not valid UTF-8")
        let farKey = setKey(1)
        #expect(batchRefusal(CraftedBatch(changes: [CraftedBatchChange(header: 0b1_0100, ops: [farKey])], version: 2,
                                          keys: [Array("k".utf8)]).bytes) == "key index 1 exceeds 0")
        #expect(batchRefusal(CraftedBatch(changes: [CraftedBatchChange(header: 0b10_0100, ops: [setKey0])], version: 2,
                                          keys: [Array("k".utf8)]).bytes) == "unknown change header bits 36")
        // Version 1 has no bit 4, and no key table.
        #expect(batchRefusal(CraftedBatch(changes: [CraftedBatchChange(header: 0b1_0100)]).bytes) == "unknown change header bits 20")
        var flags = ByteWriter()
        flags.uleb(2 as UInt64)
        flags.uleb(1 as UInt64)
        flags.uint64LE(alice.rawValue)
        flags.uleb(1 as UInt64)
        flags.uleb(0 as UInt64)
        #expect(batchRefusal(Blob.wrap(.changeBatch, version: 2, body: flags.bytes)) == "unknown batch flags 2")
        for count: UInt64 in HostileBlobTests.hostile {
            var writer = ByteWriter()
            writer.uleb(1 as UInt64)
            writer.uleb(1 as UInt64)
            writer.uint64LE(alice.rawValue)
            writer.uleb(1 as UInt64)
            writer.uleb(count)
            writer.uleb(0 as UInt64)  // a change count, so that bytes are left after the key count
            #expect(batchRefusal(Blob.wrap(.changeBatch, version: 2, body: writer.bytes)).contains("key count \(count) is larger than"))
        }
    }

    @Test func batchSeqsCannotPassTheRange() {
        // An author's seqs follow on from its first seq: the second change would be past the range.
        let two = CraftedBatch(firstSeqs: [Change.maximumCounter, 0], changes: [CraftedBatchChange(), CraftedBatchChange(header: 0b0111)])
        #expect(batchRefusal(two.bytes) == "seqs of actor 0 pass \(Change.maximumCounter)")
        #expect(batchRefusal(CraftedBatch(firstSeqs: [Change.maximumCounter, 0]).bytes) == "decoded")
        // "Continues the previous change" near the end of the range.
        let continued = CraftedBatch(changes: [CraftedBatchChange(startOp: Change.maximumCounter - 1), CraftedBatchChange(header: 0b0111)])
        #expect(batchRefusal(continued.bytes).hasPrefix("op counters pass"))
    }

    @Test(arguments: [0] + HostileBlobTests.hostile)
    func versionVectorSeqs(_ value: UInt64) {
        var writer = ByteWriter()
        writer.uleb(0 as UInt64)
        writer.uleb(1 as UInt64)
        writer.uint64LE(alice.rawValue)
        writer.uleb(value)
        let refusal = decodeRefusal { () throws(DecodeError) in _ = try VersionVector(encoded: Blob.wrap(.versionVector, body: writer.bytes)) }
        guard case .invalid(_, let reason)? = refusal else { Issue.record("\(String(describing: refusal))"); return }
        #expect(reason.hasPrefix("seq \(value) in a version vector is outside"))
    }

    @Test func aSnapshotHoldingACounterJumpIsRefused() throws {
        let jump = Change(replica: alice, seq: 1, startOp: (1 << 62) - 2, deps: VersionVector(), metadata: [],
                          ops: [Op(object: .root, action: .set(.map("k"), .scalar(.int(1)), pred: []))])
        let snapshot = ChangeBatch.encode([jump], kind: .snapshot, version: 1)
        let refusal = decodeRefusal { () throws(DecodeError) in _ = try Document(snapshot: snapshot) }
        guard case .rejected(.invalidChange(let id, let reason))? = refusal else { Issue.record("\(String(describing: refusal))"); return }
        #expect(id == jump.id)
        #expect(reason.contains("it must be 1"))
    }
}
