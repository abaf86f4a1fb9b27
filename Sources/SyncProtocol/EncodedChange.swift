import CRDT

/// A change together with the bytes it travels and is stored in.
///
/// The bytes need not be the canonical ones ``Change/encoded()`` writes: another encoder may
/// spell the same change differently (an object written out where a flag would do), and a
/// change received from a relay is stored as the relay sent it, never re-encoded. Either way
/// `change` is what the bytes decode to: both initializers guarantee it.
public struct EncodedChange: Sendable, Hashable {
    /// The decoded change.
    public let change: Change
    /// Its change blob (kind 01, `protocol-spec/encoding.md`).
    public let blob: [UInt8]

    /// A change in its canonical bytes.
    ///
    /// - Complexity: encodes the change, O(its ops).
    public init(_ change: Change) {
        self.change = change
        self.blob = change.encoded()
    }

    /// Received bytes, decoded; they are kept as they are.
    ///
    /// - Throws: ``DecodeError`` when the bytes are not a well-formed change blob.
    public init(blob: [UInt8]) throws(DecodeError) {
        self.change = try Change(encoded: blob)
        self.blob = blob
    }
}
