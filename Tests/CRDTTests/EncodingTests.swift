import Testing
@testable import CRDT
import TestSupport

@Suite("Binary encoding")
struct EncodingTests {
    /// A document that uses every op and value kind.
    static func sample() throws -> Document {
        let doc = Document(replica: alice)
        try doc.change(metadata: Array("who=buyer".utf8)) { tx in
            let vehicle = try tx.putObject(.root, "vehicle", .map)
            try tx.put(vehicle, "model", "Camry")
            try tx.put(vehicle, "price", .int(2_330_000_00))
            try tx.put(vehicle, "ratio", .double(0.25))
            try tx.put(vehicle, "new", true)
            try tx.put(vehicle, "vin", .null)
            try tx.put(vehicle, "photo", .bytes([0, 1, 2, 255]))
            try tx.put(vehicle, "updated", .timestamp(1_763_900_000_000))
            try tx.put(.root, "views", .counter(-3))
            let notes = try tx.putObject(.root, "notes", .text)
            try tx.splice(notes, at: 0, insert: "Hello 🚗 é")
            let list = try tx.putObject(.root, "drivers", .list)
            try tx.insert(list, at: 0, "Ivan")
            try tx.insertObject(list, at: 1, .map)
            try tx.insert(list, at: 2, .counter(0))
        }
        let other = doc.fork(as: bob)
        try other.change(metadata: Array("who=sales".utf8)) { tx in
            try tx.increment(.root, "views", by: 7)
            let notes = try other.get(.root, "notes")!.objectID!
            try tx.splice(notes, at: 2, delete: 3, insert: "y")
            let list = try other.get(.root, "drivers")!.objectID!
            try tx.set(list, at: 0, "Ivan P.")
            try tx.remove(list, at: 1)
            try tx.increment(list, at: 1, by: 2)
            try tx.delete(.root, "missing")
            try tx.delete(try other.get(.root, "vehicle")!.objectID!, "vin")
        }
        doc.apply(other.changes(since: doc.version))
        return doc
    }

    @Test func everyChangeRoundTrips() throws {
        let doc = try Self.sample()
        for change in doc.history {
            let bytes = change.encoded()
            let decoded = try Change(encoded: bytes)
            #expect(decoded == change)
            #expect(decoded.encoded() == bytes)
        }
    }

    @Test func batchAndSnapshotRoundTrip() throws {
        let doc = try Self.sample()
        let batch = Change.encodeBatch(doc.history)
        #expect(try Change.decodeBatch(batch) == doc.history)
        #expect(try Change.decodeBatch(Change.encodeBatch(doc.history, formatVersion: 1)) == doc.history)
        let snapshot = doc.encodeSnapshot()
        let loaded = try Document(snapshot: snapshot, replica: carol)
        #expect(try loaded.materialize() == doc.materialize())
        #expect(loaded.encodeSnapshot() == snapshot)
        #expect(loaded.version == doc.version)
    }

    /// Version 2 names each map key once: a field written a hundred times, by two
    /// authors in turn, costs its name once; both versions decode to the same changes.
    @Test func batchVersion2WritesEachKeyOnce() throws {
        let a = Document(replica: alice)
        let b = Document(replica: bob)
        for round in 0..<100 {
            let writer = round % 2 == 0 ? a : b
            let change = try writer.change { tx in try tx.put(.root, "vehicle.price", .int(Int64(round) * 1_000)) }!
            (round % 2 == 0 ? b : a).apply([change])
        }
        let version1 = Change.encodeBatch(a.history, formatVersion: 1)
        let version2 = Change.encodeBatch(a.history)
        #expect(try Change.decodeBatch(version1) == a.history)
        #expect(try Change.decodeBatch(version2) == a.history)
        // 13 bytes of key a change fewer, and a byte of op count and of object.
        #expect(version2.count + 100 * 14 <= version1.count, "\(version2.count) \(version1.count)")
        #expect(Change.encodeBatch(try Change.decodeBatch(version2)) == version2)
    }

    @Test func versionVectorRoundTrips() throws {
        let vector = VersionVector([alice: 3, bob: 1, carol: 1_000_000])
        #expect(try VersionVector(encoded: vector.encoded()) == vector)
        #expect(try VersionVector(encoded: VersionVector().encoded()) == VersionVector())
    }

    @Test func snapshotsAreIdenticalWhateverTheArrivalOrder() throws {
        let doc = try Self.sample()
        var random = RepeatableRandom(seed: 99)
        for _ in 0..<20 {
            let shuffled = doc.history.shuffled(using: &random)
            let replay = Document(replica: carol, changes: shuffled + shuffled.prefix(1))
            #expect(replay.encodeSnapshot() == doc.encodeSnapshot())
        }
    }

    @Test func everyTruncationThrowsIncompleteOrInvalid() throws {
        let doc = try Self.sample()
        let blobs: [(BlobKind, [UInt8])] = [(.change, doc.history[1].encoded()), (.snapshot, doc.encodeSnapshot())]
        for (kind, bytes) in blobs {
            for length in 0..<bytes.count {
                let prefix = Array(bytes.prefix(length))
                #expect(throws: DecodeError.self, "\(kind) truncated to \(length)") { try decode(prefix, as: kind) }
            }
        }
    }

    @Test func everySingleBitFlipIsDetected() throws {
        let doc = try Self.sample()
        for (kind, bytes) in [(BlobKind.change, doc.history[0].encoded()), (.snapshot, doc.encodeSnapshot())] {
            for index in bytes.indices {
                for bit in 0..<8 {
                    var damaged = bytes
                    damaged[index] ^= UInt8(1) << UInt8(bit)
                    #expect(throws: DecodeError.self, "\(kind) byte \(index) bit \(bit)") { try decode(damaged, as: kind) }
                }
            }
        }
    }

    @Test func randomBytesNeverTrap() {
        var random = RepeatableRandom(seed: 2026)
        for round in 0..<3_000 {
            let length = random.int(0..<200)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            if round % 2 == 0 && bytes.count >= 6 {
                // Well-framed garbage: valid magic, kind, version and checksum around random bodies,
                // so the body decoders themselves are exercised.
                let kind = BlobKind(rawValue: UInt8(1 + round % 4))!
                bytes = Blob.wrap(kind, body: Array(bytes.dropFirst(6)))
            }
            for kind in [BlobKind.change, .snapshot, .changeBatch, .versionVector] {
                _ = try? decode(bytes, as: kind)
            }
        }
    }

    @Test(arguments: [
        ([UInt8](), DecodeError.incomplete(offset: 0)),
        ([0x44, 0x53], DecodeError.incomplete(offset: 2)),
        ([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 0, 0], DecodeError.notABlob),
        ([0x44, 0x53, 0x59, 0x4E, 2, 1, 0, 0, 0, 0], DecodeError.wrongKind(expected: .change, found: 2)),
        ([0x44, 0x53, 0x59, 0x4E, 1, 9, 0, 0, 0, 0], DecodeError.unsupportedVersion(kind: .change, version: 9, supported: 1)),
        ([0x44, 0x53, 0x59, 0x4E, 1, 1, 0, 0, 0, 0], DecodeError.checksumMismatch),
    ])
    func frameErrorsAreSpecific(bytes: [UInt8], expected: DecodeError) {
        #expect(throws: expected) { try Change(encoded: bytes) }
    }

    @Test func overlongLEB128IsRefused() throws {
        var reader = ByteReader([0x80, 0x00])
        #expect(throws: DecodeError.invalid(offset: 0, reason: "over-long LEB128 (trailing zero byte)")) { try reader.uleb() }
        var tooBig = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect(throws: DecodeError.self) { try tooBig.uleb() }
        var maximum = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try maximum.uleb() == UInt64.max)
    }

    @Test func hugeCountsDoNotAllocate() {
        // An op count of 2^62 in a tiny blob must be refused before anything is reserved.
        var body = ByteWriter()
        body.uleb(0 as UInt64)
        body.uleb(1 as UInt64)
        body.uint64LE(alice.rawValue)
        body.uleb(1 as UInt64)
        body.uleb(1 as UInt64)
        body.uleb(0 as UInt64)
        body.uleb(0 as UInt64)
        body.uleb(UInt64(1) << 62)
        #expect(throws: DecodeError.self) { try Change(encoded: Blob.wrap(.change, body: body.bytes)) }
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        // 32 bytes (four 8-byte steps), a value zlib's crc32 gives too.
        #expect(CRC32.checksum([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
    }

    /// Eight bytes a step must give what one bit a step gives, at every length and offset
    /// (the 8-byte loop, the tail, slices that start anywhere).
    @Test func crc32EightBytesAStepIsTheBitwiseDefinition() {
        func bitwise(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<300).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = bytes[start..<end]
                #expect(CRC32.checksum(slice) == bitwise(slice), "bytes \(start)..<\(end)")
                #expect(CRC32.checksum(AnySequence(slice)) == bitwise(slice), "bytes \(start)..<\(end), not contiguous")
            }
        }
    }

    private func decode(_ bytes: [UInt8], as kind: BlobKind) throws {
        switch kind {
        case .change: _ = try Change(encoded: bytes)
        case .snapshot: _ = try Document(snapshot: bytes)
        case .changeBatch: _ = try Change.decodeBatch(bytes)
        case .versionVector: _ = try VersionVector(encoded: bytes)
        }
    }
}
