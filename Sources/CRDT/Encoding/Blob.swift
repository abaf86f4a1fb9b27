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
    static func wrap(_ kind: BlobKind, version: UInt8? = nil, body: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(magic)
        writer.byte(kind.rawValue)
        writer.byte(version ?? kind.currentVersion)
        writer.append(body)
        writer.uint32LE(CRC32.checksum(writer.bytes[4...]))
        return writer.bytes
    }

    /// Checks the frame and returns a reader over the body; the blob must be of the kind's
    /// current format version.
    static func open(_ bytes: [UInt8], as kind: BlobKind) throws(DecodeError) -> ByteReader {
        let (reader, version) = try openAnyVersion(bytes, as: kind)
        guard version == kind.currentVersion else {
            throw .unsupportedVersion(kind: kind, version: version, supported: kind.currentVersion)
        }
        return reader
    }

    /// Checks the frame and returns a reader over the body and the blob's format version,
    /// one of those the kind can be read in (``BlobKind/readableVersions``).
    static func openAnyVersion(_ bytes: [UInt8], as kind: BlobKind) throws(DecodeError) -> (ByteReader, UInt8) {
        guard bytes.count >= 4 else {
            if bytes.elementsEqual(magic.prefix(bytes.count)) { throw .incomplete(offset: bytes.count) }
            throw .notABlob
        }
        guard bytes[0..<4].elementsEqual(magic) else { throw .notABlob }
        guard bytes.count >= 10 else { throw .incomplete(offset: bytes.count) }
        guard bytes[4] == kind.rawValue else { throw .wrongKind(expected: kind, found: bytes[4]) }
        guard kind.readableVersions.contains(bytes[5]) else {
            throw .unsupportedVersion(kind: kind, version: bytes[5], supported: kind.currentVersion)
        }
        let bodyEnd = bytes.count - 4
        var trailer = ByteReader(bytes, from: bodyEnd)
        guard try trailer.uint32LE() == CRC32.checksum(bytes[4..<bodyEnd]) else { throw .checksumMismatch }
        return (ByteReader(bytes, from: 6, to: bodyEnd), bytes[5])
    }
}
