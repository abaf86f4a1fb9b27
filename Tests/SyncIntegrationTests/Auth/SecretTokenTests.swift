import Testing
@testable import SyncServer
import TestSupport

@Suite("Secret tokens and constant-time comparison")
struct SecretTokenTests {
    @Test("a token has the prefix, the length and the alphabet it promises")
    func shape() throws {
        let token = SecretToken.generate()
        #expect(token.text.hasPrefix("dst_"))
        #expect(token.text.utf8.count == 47)
        #expect(SecretToken.textLength == 47)
        let body = token.text.dropFirst(4).utf8
        #expect(body.allSatisfy { Base64URL.alphabet.contains($0) })
        #expect(token.randomBytes.count == 32, "at least 128 bits; we use 256")
        let parsed = try #require(SecretToken(parsing: token.text))
        #expect(parsed.text == token.text)
    }

    @Test("tokens differ and their bits look uniform")
    func entropy() {
        let tokens = (0..<1_000).map { _ in SecretToken.generate() }
        #expect(Set(tokens.map(\.text)).count == tokens.count)
        // 256,000 bits: the share of ones is 0.5 ± 0.001 (one sigma); 0.49...0.51 is 10 sigma.
        let ones = tokens.reduce(0) { sum, token in sum + token.randomBytes.reduce(0) { $0 + $1.nonzeroBitCount } }
        let share = Double(ones) / Double(tokens.count * 256)
        #expect(share > 0.49 && share < 0.51, "share of one bits \(share)")
        // Every base64url symbol shows up among 43,000 symbols (each expected ~670 times).
        let seen = Set(tokens.flatMap { $0.text.dropFirst(4).utf8 })
        #expect(seen.count == 64)
    }

    @Test("a seeded generator gives a repeatable token and a stable hash")
    func stableHash() {
        var first = RepeatableRandom(seed: 42)
        var second = RepeatableRandom(seed: 42)
        let a = SecretToken.generate(using: &first)
        let b = SecretToken.generate(using: &second)
        #expect(a.text == b.text)
        #expect(a.storedHash == b.storedHash)
        #expect(a.storedHash == SHA256.hexHash(Array(a.text.utf8)))
        #expect(a.storedHash.count == 64)
        #expect(a.storedHash.allSatisfy { "0123456789abcdef".contains($0) })
        // Pinned (computed with coreutils' sha256sum): stored hashes never change across builds.
        #expect(SecretToken.storedHash(of: "dst_") == "33b299baae6488b461ce5aa3cbf359a4347c4b40726a28c8d038ae8913efb885")
    }

    @Test("matches accepts the token and rejects anything else")
    func matching() {
        let token = SecretToken.generate()
        let stored = token.storedHash
        #expect(SecretToken.matches(token.text, storedHash: stored))
        #expect(SecretToken.matches(token.text, storedHash: stored.uppercased()))
        #expect(!SecretToken.matches(SecretToken.generate().text, storedHash: stored))
        #expect(!SecretToken.matches(String(token.text.dropLast()), storedHash: stored))
        #expect(!SecretToken.matches("", storedHash: stored))
        #expect(!SecretToken.matches(token.text, storedHash: ""))
    }

    @Test("malformed texts do not parse", arguments: [
        "", "dst_", "abc", "dst_" + String(repeating: "A", count: 42),
        "dst_" + String(repeating: "A", count: 44), "xyz_" + String(repeating: "A", count: 43),
        "dst_" + String(repeating: "A", count: 42) + "=", "dst_" + String(repeating: "A", count: 42) + "+",
        "dst_" + String(repeating: "A", count: 42) + "B",  // non-zero unused bits: not canonical
    ])
    func malformed(_ text: String) {
        #expect(SecretToken(parsing: text) == nil)
    }

    @Test("the token never appears in its descriptions")
    func redacted() {
        let token = SecretToken.generate()
        let secretPart = String(token.text.dropFirst(4))
        #expect(!"\(token)".contains(secretPart))
        #expect(!String(reflecting: token).contains(secretPart))
    }

    @Test("constantTimeEquals agrees with == on equal, different and differently sized inputs")
    func constantTime() {
        let cases: [([UInt8], [UInt8])] = [
            ([], []), ([0], [0]), ([0], [1]), ([1, 2, 3], [1, 2, 3]), ([1, 2, 3], [1, 2, 4]),
            ([1, 2, 3], [9, 2, 3]), ([1, 2, 3], [1, 2]), ([1, 2], [1, 2, 3]), ([], [0]), ([0], []),
            ([0, 0], [0]), ([0x80], [0x00]), (Array(repeating: 0xFF, count: 64), Array(repeating: 0xFF, count: 64)),
        ]
        for (lhs, rhs) in cases {
            #expect(constantTimeEquals(lhs, rhs) == (lhs == rhs), "\(lhs) vs \(rhs)")
        }
    }

    @Test("base64url and hex round-trip")
    func codecs() {
        var generator = RepeatableRandom(seed: 7)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
        #expect(Base64URL.encode(Array("foobar".utf8)) == "Zm9vYmFy")  // RFC 4648 section 10
        #expect(Base64URL.encode(Array("fooba".utf8)) == "Zm9vYmE")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Hex.decode("0g") == nil)
        #expect(Hex.decode("abc") == nil)
    }
}
