import Foundation
import Testing
@testable import CRDT

/// The byte-exact examples in `protocol-spec/vectors/`: each file is the hex of one blob
/// that the scenario below must encode to, and that must decode and re-encode unchanged.
/// `UPDATE_VECTORS=1 swift test --filter TestVector` rewrites them after a deliberate
/// format change (which also needs a new format version and a spec update).
@Suite("Protocol test vectors")
struct TestVectorTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocol-spec/vectors")

    static func scenarios() throws -> [(name: String, kind: BlobKind, bytes: [UInt8])] {
        let doc = Document(replica: ReplicaID(0x0000_0000_0000_00A1))
        let put = try doc.change(metadata: Array("u=ivan".utf8)) { try $0.put(.root, "model", "Camry") }!
        let text = try doc.change { tx in
            let notes = try tx.putObject(.root, "notes", .text)
            try tx.splice(notes, at: 0, insert: "hi🚗")
        }!
        let other = doc.fork(as: ReplicaID(0x0000_0000_0000_00B2))
        let list = try other.change { tx in
            let drivers = try tx.putObject(.root, "drivers", .list)
            try tx.insert(drivers, at: 0, "Olga")
            try tx.put(.root, "views", .counter(5))
            try tx.increment(.root, "views", by: -2)
            let notes = try other.get(.root, "notes")!.objectID!
            try tx.splice(notes, at: 1, delete: 1)
        }!
        doc.apply([list])
        return [
            ("change-map-put", .change, put.encoded()),
            ("change-text", .change, text.encoded()),
            ("change-list-counter-delete", .change, list.encoded()),
            ("batch-two-authors", .changeBatch, Change.encodeBatch(doc.history, formatVersion: 1)),
            ("batch-v2-two-authors", .changeBatch, Change.encodeBatch(doc.history)),
            ("batch-v2-key-table", .changeBatch, Change.encodeBatch(try Self.priceEdits())),
            ("snapshot", .snapshot, try doc.encodeSnapshotVersion1()),
            ("snapshot-v2", .snapshot, doc.encodeSnapshot()),
            ("snapshot-v2-shallow", .snapshot, try doc.encodeSnapshot(horizon: VersionVector([doc.replica: 2]))),
            ("version-vector", .versionVector, doc.version.encoded()),
        ]
    }

    /// Two authors writing one field in turn: a batch of version 2 names it once, in its key table.
    static func priceEdits() throws -> [Change] {
        let a = Document(replica: ReplicaID(0x0000_0000_0000_00A1))
        let b = a.fork(as: ReplicaID(0x0000_0000_0000_00B2))
        var changes: [Change] = []
        for (round, price) in [2_330_000, 2_290_000, 2_310_000, 2_300_000].enumerated() {
            let (writer, reader) = round % 2 == 0 ? (a, b) : (b, a)
            let change = try writer.change { tx in try tx.put(.root, "vehicle.price", .int(Int64(price))) }!
            reader.apply([change])
            changes.append(change)
        }
        return changes
    }

    @Test func vectorsMatchTheEncoderAndRoundTrip() throws {
        let update = ProcessInfo.processInfo.environment["UPDATE_VECTORS"] == "1"
        for (name, kind, bytes) in try Self.scenarios() {
            let file = Self.folder.appendingPathComponent(name + ".hex")
            if update {
                try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
                try (hex(bytes) + "\n").write(to: file, atomically: true, encoding: .utf8)
            }
            let stored = try unhex(String(contentsOf: file, encoding: .utf8))
            #expect(stored == bytes, "\(name): the encoder no longer writes the vector")
            let reencoded: [UInt8] = switch kind {
            case .change: try Change(encoded: stored).encoded()
            case .changeBatch where name == "batch-two-authors": Change.encodeBatch(try Change.decodeBatch(stored), formatVersion: 1)
            case .changeBatch: Change.encodeBatch(try Change.decodeBatch(stored))
            case .snapshot where name == "snapshot": try Document(snapshot: stored).encodeSnapshotVersion1()
            case .snapshot: try Document(snapshot: stored).encodeSnapshot()
            case .versionVector: try VersionVector(encoded: stored).encoded()
            }
            #expect(reencoded == stored, "\(name): decode and re-encode changed the bytes")
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        stride(from: 0, to: bytes.count, by: 16).map { start in
            bytes[start..<min(start + 16, bytes.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
        }.joined(separator: "\n")
    }

    private func unhex(_ text: String) throws -> [UInt8] {
        try text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { pair in
            guard let byte = UInt8(pair, radix: 16) else { throw DecodeError.notABlob }
            return byte
        }
    }
}
