@testable import CRDT

/// Blobs written field by field, with any value in any field, for the decoder tests that
/// must refuse hostile numbers cleanly. Defaults make a valid blob, so that a test changes
/// exactly the field it is about.
struct CraftedChange {
    var actors: [UInt64] = [alice.rawValue, bob.rawValue]
    var seq: UInt64 = 1
    var startOp: UInt64 = 10
    var deps: [(index: UInt64, seq: UInt64)] = []
    /// Written instead of `deps.count` when set.
    var depCount: UInt64?
    var ops: [[UInt8]] = [CraftedOp.setRoot]
    /// Written instead of `ops.count` when set.
    var opCount: UInt64?

    var bytes: [UInt8] {
        var writer = ByteWriter()
        writer.uleb(0 as UInt64)
        writer.uleb(UInt64(actors.count))
        for actor in actors { writer.uint64LE(actor) }
        writer.uleb(seq)
        writer.uleb(startOp)
        writer.uleb(depCount ?? UInt64(deps.count))
        for dep in deps {
            writer.uleb(dep.index)
            writer.uleb(dep.seq)
        }
        writer.lengthPrefixed([UInt8]())
        writer.uleb(opCount ?? UInt64(ops.count))
        for op in ops { writer.append(op) }
        return Blob.wrap(.change, body: writer.bytes)
    }
}

/// One change of a ``CraftedBatch``.
struct CraftedBatchChange {
    var header: UInt8 = 0b0100
    var author: UInt64 = 0
    var startOp: UInt64 = 1
    var deps: [(index: UInt64, seq: UInt64)] = []
    var ops: [[UInt8]] = [CraftedOp.setRoot]
}

/// A change batch (or snapshot) blob written field by field.
struct CraftedBatch {
    var kind = BlobKind.changeBatch
    var actors: [UInt64] = [alice.rawValue, bob.rawValue]
    var firstSeqs: [UInt64] = [1, 0]
    var changes: [CraftedBatchChange] = [CraftedBatchChange()]
    /// Written instead of `changes.count` when set.
    var changeCount: UInt64?
    /// The batch's format version; 2 writes `keys` as its key table, and leaves out the op
    /// count of a change whose header has bit 4.
    var version: UInt8 = 1
    var keys: [[UInt8]] = []

    var bytes: [UInt8] {
        var writer = ByteWriter()
        writer.uleb(version >= 2 && !keys.isEmpty ? 1 as UInt64 : 0)  // flags: version 2's bit 0, a key table
        writer.uleb(UInt64(actors.count))
        for actor in actors { writer.uint64LE(actor) }
        for seq in firstSeqs { writer.uleb(seq) }
        if version >= 2 && !keys.isEmpty {
            writer.uleb(UInt64(keys.count))
            for key in keys { writer.lengthPrefixed(key) }
        }
        writer.uleb(changeCount ?? UInt64(changes.count))
        for change in changes {
            writer.byte(change.header)
            if change.header & 1 == 0 { writer.uleb(change.author) }
            if change.header & 2 == 0 { writer.uleb(change.startOp) }
            if change.header & 4 == 0 {
                writer.uleb(UInt64(change.deps.count))
                for dep in change.deps {
                    writer.uleb(dep.index)
                    writer.uleb(dep.seq)
                }
            }
            if change.header & 8 == 0 { writer.lengthPrefixed([UInt8]()) }
            if version < 2 || change.header & 16 == 0 { writer.uleb(UInt64(change.ops.count)) }
            for op in change.ops { writer.append(op) }
        }
        return Blob.wrap(kind, version: version, body: writer.bytes)
    }
}

/// Encoded ops with chosen field values (the object is always the root).
enum CraftedOp {
    /// Sets root key "k" to int 1.
    static let setRoot: [UInt8] = {
        var writer = ByteWriter()
        writer.byte(0)
        writer.byte(0)
        writer.string("k")
        writer.byte(3)
        writer.sleb(1)
        writer.uleb(0 as UInt64)
        return writer.bytes
    }()

    /// Deletes root key "" on the same object as the op before: the smallest op (3 bytes).
    static let tinyDelete: [UInt8] = [0x81, 0x00, 0x00]

    /// Inserts `text` at the head of the (root) object.
    static func insertText(_ text: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(7)
        writer.byte(0)
        writer.byte(0)
        writer.string(text)
        return writer.bytes
    }

    /// A delete run starting `delta` counters before the op's own id, of `count` elements.
    static func deleteRun(delta: Int64, actor: UInt64 = 0, count: UInt64 = 1) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(8)
        writer.byte(0)
        writer.sleb(delta)
        writer.uleb(actor)
        writer.uleb(count)
        return writer.bytes
    }

    /// A list insert whose origin is written as the raw optional-ref value `rawOrigin`.
    static func insert(rawOrigin: UInt64, actor: UInt64 = 0) -> [UInt8] {
        var writer = ByteWriter()
        writer.byte(6)
        writer.byte(0)
        writer.uleb(rawOrigin)
        if rawOrigin != 0 { writer.uleb(actor) }
        writer.byte(0)
        return writer.bytes
    }
}

/// The refusal `body` throws: a ``DecodeError`` (nil when it throws nothing; any other error
/// is a test failure of its own).
func decodeRefusal(_ body: () throws(DecodeError) -> Void) -> DecodeError? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}
