import Testing
@testable import CRDT

/// The order in which a blob's frame is checked (protocol-spec/encoding.md, "Frame"): the
/// checksum before the body, so *incomplete* is told only of the first ten bytes or of a body
/// whose checksum matches.
@Suite("Frame check order")
struct FrameCheckOrderTests {
    static func blob() throws -> [UInt8] {
        let document = Document(replica: ReplicaID(0xA1))
        return try document.change(metadata: Array("u=ivan".utf8)) { try $0.put(.root, "model", "Camry") }!.encoded()
    }

    @Test func aBlobCutShortIsAChecksumMismatchFromTenBytesOn() throws {
        let blob = try Self.blob()
        for length in 0..<blob.count {
            let expected: DecodeError = length < 10 ? .incomplete(offset: length) : .checksumMismatch
            #expect(throws: expected, "cut at \(length)") { try Change(encoded: Array(blob.prefix(length))) }
        }
    }

    @Test func aBodyUnderAMatchingChecksumThatEndsEarlyIsIncomplete() throws {
        // Flags only: the actor count is missing where the body ends (byte 7).
        #expect(throws: DecodeError.incomplete(offset: 7)) { try Change(encoded: Blob.wrap(.change, body: [0x00])) }
        let body = Array(try Self.blob().dropFirst(6).dropLast(4))
        for length in 0..<body.count {
            do {
                _ = try Change(encoded: Blob.wrap(.change, body: Array(body.prefix(length))))
                Issue.record("a body cut at \(length) decoded")
            } catch {
                #expect(error != .checksumMismatch, "cut at \(length)")
            }
        }
    }

    @Test func kindAndVersionAreCheckedBeforeTheChecksum() throws {
        var blob = try Self.blob()
        blob[blob.count - 1] ^= 0xFF
        #expect(throws: DecodeError.checksumMismatch) { try Change(encoded: blob) }
        #expect(throws: DecodeError.wrongKind(expected: .snapshot, found: 1)) { try Document(snapshot: blob) }
        blob[5] = 2
        #expect(throws: DecodeError.unsupportedVersion(kind: .change, version: 2, supported: 1)) { try Change(encoded: blob) }
    }
}
