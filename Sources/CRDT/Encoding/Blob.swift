/// The frame around every encoded blob:
///
/// | bytes | field |
/// |---|---|
/// | 4 | magic `44 53 59 4E` ("DSYN") |
/// | 1 | kind (``BlobKind``) |
/// | 1 | format version of that kind |
/// | n | body |
/// | 4 | CRC-32 of kind, version and body, little-endian |
enum Blob {
    static let magic: [UInt8] = [0x44, 0x53, 0x59, 0x4E]

    /// Frames `body` as a blob of `kind`.
    static func wrap(_ kind: BlobKind, body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(magic)
        writer.byte(kind.rawValue)
        writer.byte(kind.currentVersion)
        writer.append(body)
        writer.uint32LE(CRC32.checksum(writer.bytes[4...]))
        return writer.bytes
    }

    /// Checks the frame and returns a reader over the body.
    static func open(_ bytes: [UInt8], as kind: BlobKind) throws(DecodeError) -> ByteReader {
        guard bytes.count >= 4 else {
            if bytes.elementsEqual(magic.prefix(bytes.count)) { throw .incomplete(offset: bytes.count) }
            throw .notABlob
        }
        guard bytes[0..<4].elementsEqual(magic) else { throw .notABlob }
        guard bytes.count >= 10 else { throw .incomplete(offset: bytes.count) }
        guard bytes[4] == kind.rawValue else { throw .wrongKind(expected: kind, found: bytes[4]) }
        guard bytes[5] == kind.currentVersion else {
            throw .unsupportedVersion(kind: kind, version: bytes[5], supported: kind.currentVersion)
        }
        let bodyEnd = bytes.count - 4
        var trailer = ByteReader(bytes, from: bodyEnd)
        guard try trailer.uint32LE() == CRC32.checksum(bytes[4..<bodyEnd]) else { throw .checksumMismatch }
        return ByteReader(bytes, from: 6, to: bodyEnd)
    }
}
