/// SHA-256 (FIPS 180-4, section 6.2), streaming: feed bytes in any pieces, read the digest.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(Array("ab".utf8))
/// hasher.update(Array("c".utf8))
/// let digest = hasher.finalize()          // 32 bytes
/// SHA256.hexHash(Array("abc".utf8))       // "ba7816bf…"
/// ```
///
/// A value type with no I/O: copying a hasher forks the computation, and ``finalize()`` does
/// not consume the hasher, so it can be called for a running digest and updating can go on.
/// - Complexity: O(n) in the bytes hashed; 64 bytes of buffered input at most.
public struct SHA256: Sendable {
    /// The digest length in bytes.
    public static let digestByteCount = 32
    /// The block length in bytes: the compression function eats 512 bits at a time.
    public static let blockByteCount = 64

    /// The chaining value H(i), eight 32-bit words.
    private var state: [UInt32] = SHA256.initialState
    /// Input not yet compressed; always shorter than one block between calls.
    private var pending: [UInt8] = []
    /// Total bytes fed so far; the padding records it in bits, modulo 2^64 as the standard says.
    private var byteCount: UInt64 = 0

    /// A hasher that has seen no input.
    public init() {
        pending.reserveCapacity(Self.blockByteCount)
    }

    /// Feeds `bytes` to the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 encoding of `text` to the hash.
    public mutating func update(_ text: String) {
        update(Array(text.utf8))
    }

    /// Feeds the bytes of `buffer` to the hash.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        byteCount &+= UInt64(buffer.count)
        var rest = buffer[...]
        if !pending.isEmpty {
            let take = min(Self.blockByteCount - pending.count, rest.count)
            pending.append(contentsOf: rest.prefix(take))
            rest = rest.dropFirst(take)
            guard pending.count == Self.blockByteCount else { return }
            pending.withUnsafeBytes { Self.compress(&state, block: $0) }
            pending.removeAll(keepingCapacity: true)
        }
        while rest.count >= Self.blockByteCount {
            Self.compress(&state, block: UnsafeRawBufferPointer(rebasing: rest.prefix(Self.blockByteCount)))
            rest = rest.dropFirst(Self.blockByteCount)
        }
        pending.append(contentsOf: rest)
    }

    /// The digest of everything fed so far (32 bytes); the hasher itself is left as it was.
    ///
    /// Padding (section 5.1.1): one `1` bit, zeros up to 448 bits mod 512, then the message
    /// length in bits as a 64-bit big-endian integer.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitCount = byteCount &* 8
        var tail: [UInt8] = [0x80]
        let used = (pending.count + 1) % Self.blockByteCount
        let zeros = (Self.blockByteCount - 8 - used + Self.blockByteCount) % Self.blockByteCount
        tail.append(contentsOf: repeatElement(0, count: zeros))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitCount >> UInt64(shift)))
        }
        copy.update(tail)
        precondition(copy.pending.isEmpty, "SHA-256 padding must end on a block boundary")

        var digest: [UInt8] = []
        digest.reserveCapacity(Self.digestByteCount)
        for word in copy.state {
            digest.append(UInt8(truncatingIfNeeded: word >> 24))
            digest.append(UInt8(truncatingIfNeeded: word >> 16))
            digest.append(UInt8(truncatingIfNeeded: word >> 8))
            digest.append(UInt8(truncatingIfNeeded: word))
        }
        return digest
    }

    /// The digest of everything fed so far, as 64 lowercase hex digits.
    public func finalizeHex() -> String {
        Hex.encode(finalize())
    }

    /// The SHA-256 digest of `bytes` (32 bytes).
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-256 digest of `bytes` as 64 lowercase hex digits.
    public static func hexHash(_ bytes: [UInt8]) -> String {
        Hex.encode(hash(bytes))
    }

    // MARK: Compression function (section 6.2.2)

    /// Mixes one 64-byte block into the chaining value.
    private static func compress(_ state: inout [UInt32], block: UnsafeRawBufferPointer) {
        precondition(block.count == blockByteCount)
        // The message schedule W0…W63: the block's 16 big-endian words, then expanded.
        var schedule = [UInt32](repeating: 0, count: 64)
        for t in 0..<16 {
            schedule[t] = UInt32(block[4 * t]) << 24 | UInt32(block[4 * t + 1]) << 16
                | UInt32(block[4 * t + 2]) << 8 | UInt32(block[4 * t + 3])
        }
        for t in 16..<64 {
            schedule[t] = smallSigma1(schedule[t - 2]) &+ schedule[t - 7]
                &+ smallSigma0(schedule[t - 15]) &+ schedule[t - 16]
        }

        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        for t in 0..<64 {
            let t1 = h &+ bigSigma1(e) &+ choose(e, f, g) &+ roundConstants[t] &+ schedule[t]
            let t2 = bigSigma0(a) &+ majority(a, b, c)
            h = g
            g = f
            f = e
            e = d &+ t1
            d = c
            c = b
            b = a
            a = t1 &+ t2
        }
        state[0] &+= a
        state[1] &+= b
        state[2] &+= c
        state[3] &+= d
        state[4] &+= e
        state[5] &+= f
        state[6] &+= g
        state[7] &+= h
    }

    // The six logical functions of section 4.1.2.

    @inline(__always) private static func rotateRight(_ x: UInt32, _ n: UInt32) -> UInt32 {
        x >> n | x << (32 - n)
    }

    @inline(__always) private static func choose(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 {
        (x & y) ^ (~x & z)
    }

    @inline(__always) private static func majority(_ x: UInt32, _ y: UInt32, _ z: UInt32) -> UInt32 {
        (x & y) ^ (x & z) ^ (y & z)
    }

    @inline(__always) private static func bigSigma0(_ x: UInt32) -> UInt32 {
        rotateRight(x, 2) ^ rotateRight(x, 13) ^ rotateRight(x, 22)
    }

    @inline(__always) private static func bigSigma1(_ x: UInt32) -> UInt32 {
        rotateRight(x, 6) ^ rotateRight(x, 11) ^ rotateRight(x, 25)
    }

    @inline(__always) private static func smallSigma0(_ x: UInt32) -> UInt32 {
        rotateRight(x, 7) ^ rotateRight(x, 18) ^ (x >> 3)
    }

    @inline(__always) private static func smallSigma1(_ x: UInt32) -> UInt32 {
        rotateRight(x, 17) ^ rotateRight(x, 19) ^ (x >> 10)
    }

    // MARK: Constants

    /// H(0) (section 5.3.3): the first 32 bits of the fractional parts of the square roots of
    /// the first eight primes.
    static let initialState: [UInt32] = [
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
    ]

    /// K0…K63 (section 4.2.2): the first 32 bits of the fractional parts of the cube roots of
    /// the first sixty-four primes.
    static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
