/// Why bytes could not be decoded. Decoding untrusted bytes never traps: every malformed
/// input ends in one of these.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes end before the value does (a truncated blob: more bytes may complete it).
    case incomplete(offset: Int)
    /// The bytes are not a well-formed encoding; `reason` says what was found where.
    case invalid(offset: Int, reason: String)
    /// The blob does not start with the magic bytes `DSYN`.
    case notABlob
    /// The blob is of another kind than the caller asked for.
    case wrongKind(expected: BlobKind, found: UInt8)
    /// The blob's format version is newer (or older) than this build reads.
    case unsupportedVersion(kind: BlobKind, version: UInt8, supported: UInt8)
    /// The checksum does not match: the bytes were damaged in transit or storage.
    case checksumMismatch
    /// The bytes decode, but the change or snapshot they hold is refused by the document.
    case rejected(CRDTError)

    public var description: String {
        switch self {
        case .incomplete(let offset): "blob truncated at byte \(offset): more bytes were expected"
        case .invalid(let offset, let reason): "malformed blob at byte \(offset): \(reason)"
        case .notABlob: "not a DSYN blob (the first four bytes must be 44 53 59 4E)"
        case .wrongKind(let expected, let found): "expected a \(expected) blob, found kind \(found)"
        case .unsupportedVersion(let kind, let version, let supported):
            "\(kind) blob of format version \(version); this build reads up to version \(supported): upgrade the engine"
        case .checksumMismatch: "checksum mismatch: the blob was damaged; fetch it again"
        case .rejected(let error): "blob decoded but was refused: \(error)"
        }
    }
}

/// The kinds of blob, written in byte 4 of every blob.
public enum BlobKind: UInt8, Sendable, CustomStringConvertible {
    case change = 1
    case snapshot = 2
    case versionVector = 3
    /// A batch of changes in causal order (what a sync message carries).
    case changeBatch = 4

    /// The format version this build writes for the kind.
    public var currentVersion: UInt8 { self == .snapshot || self == .changeBatch ? 2 : 1 }

    /// The format versions this build reads for the kind (snapshots: 1, the whole history,
    /// and 2, state and columnar history).
    public var readableVersions: ClosedRange<UInt8> { 1...currentVersion }

    public var description: String {
        switch self {
        case .change: "change"
        case .snapshot: "snapshot"
        case .versionVector: "version vector"
        case .changeBatch: "change batch"
        }
    }
}
