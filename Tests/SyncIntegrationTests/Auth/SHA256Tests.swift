import Foundation // cbrt
import Testing
@testable import SyncServer

@Suite("SHA-256")
struct SHA256Tests {
    /// NIST FIPS 180-4 examples (csrc.nist.gov "SHA256.pdf", "SHA2_Additional.pdf").
    static let vectors: [(message: String, digest: String)] = [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
    ]

    @Test("NIST short message vectors", arguments: 0..<vectors.count)
    func nistVector(_ index: Int) {
        let (message, digest) = Self.vectors[index]
        #expect(SHA256.hexHash(Array(message.utf8)) == digest)
        var hasher = SHA256()
        hasher.update(message)
        #expect(hasher.finalizeHex() == digest)
        #expect(SHA256.hash(Array(message.utf8)).count == 32)
    }

    @Test("one million 'a', fed in uneven pieces")
    func millionA() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        var hasher = SHA256()
        var fed = 0
        var size = 1
        while fed < 1_000_000 {
            let take = min(size, 1_000_000 - fed, chunk.count)
            hasher.update(Array(chunk.prefix(take)))
            fed += take
            size = size % 997 + 7
        }
        #expect(hasher.finalizeHex() == expected)
        #expect(SHA256.hexHash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)) == expected)
    }

    /// Digests of `(0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }`, computed with an
    /// independent implementation (Python's hashlib), around the lengths where padding needs
    /// one block or two.
    static let paddingVectors: [(length: Int, digest: String)] = [
        (1, "ca358758f6d27e6cf45272937977a748fd88391db679ceda7dc7bf1f005ee879"),
        (55, "8aa994584139d128848eeebc4e815639ba5ab6e6e39574195a63ac4f14f7c43b"),
        (56, "ad574708f75c044c9b85de64cb568ee7711ff4f36448c6242f053ba8f6cc2b63"),
        (57, "5b46e502092be01b1100193e089fdda95638c12e19a1d24f308eb2c3d3ae849d"),
        (63, "280ed3e8ff1df845b2e7dfe6ac6cee817bef20e783cc65abc41b818b4d2fe076"),
        (64, "c6ab9724ade5b6a7a1edfffb12f3aa9181351355af8fd08c919952ad211339dd"),
        (65, "788367c73c7ddf4c53f65e68cc0d943e6227ab55b0e78ba63ace822b1c6301c0"),
        (119, "3d610547d68216dedf7435a4fb6260353911f6b3fd3f18805ddb8be285d726fe"),
        (120, "1f80156a804cb7862ad113e8200e9d74499723e7c7854d5f48776d3148e09656"),
        (127, "192409cd280e14b743642ad1343fbd3e82d9305de72c078117745a679210cc3d"),
        (128, "cc548ca2dec1f6fe4f58b2e27aa9c7521607df1130d140b55a4dad0665302356"),
        (129, "81e89a7b2911aaa7795f9e3d4910cb47d6cd2b00d83b8399481527261a1a7519"),
    ]

    @Test("messages around the padding boundaries", arguments: 0..<paddingVectors.count)
    func paddingBoundary(_ index: Int) {
        let (length, digest) = Self.paddingVectors[index]
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        #expect(SHA256.hexHash(message) == digest, "length \(length)")
    }

    @Test("streaming split at every boundary equals one-shot")
    func everySplit() {
        // Three blocks and a bit, so splits fall before, on and after block boundaries.
        let message = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
        let oneShot = SHA256.hash(message)
        for first in 0...message.count {
            var hasher = SHA256()
            hasher.update(Array(message[..<first]))
            hasher.update(Array(message[first...]))
            #expect(hasher.finalize() == oneShot, "split at \(first)")
        }
        for second in stride(from: 0, through: message.count, by: 13) {
            var hasher = SHA256()
            hasher.update(Array(message[..<(second / 2)]))
            hasher.update([])
            hasher.update(Array(message[(second / 2)..<second]))
            hasher.update(Array(message[second...]))
            #expect(hasher.finalize() == oneShot, "three-way split at \(second / 2), \(second)")
        }
    }

    @Test("finalize is a running digest: the hasher can go on")
    func finalizeDoesNotConsume() {
        var hasher = SHA256()
        hasher.update("ab")
        #expect(hasher.finalize() == SHA256.hash(Array("ab".utf8)))
        hasher.update("c")
        #expect(hasher.finalizeHex() == Self.vectors[0].digest)
    }

    @Test("round constants are the cube roots of the first 64 primes, H0 the square roots of the first 8")
    func constantsFromTheirDefinition() {
        let primes = (2...311).filter { n in (2..<n).allSatisfy { n % $0 != 0 } }
        #expect(primes.count == 64)
        func fractionBits(_ root: Double) -> UInt32 {
            UInt32((root - root.rounded(.down)) * 4_294_967_296)
        }
        #expect(SHA256.roundConstants == primes.map { fractionBits(cbrt(Double($0))) })
        #expect(SHA256.initialState == primes.prefix(8).map { fractionBits(Double($0).squareRoot()) })
    }
}
