/// A bearer secret for a device or a user: 256 random bits, shown once, stored only as a hash.
///
/// The text form is `dst_` followed by 43 base64url symbols, for example
/// `dst_Qm9vdHMgYW5kIGNhdHMgYW5kIGJvb3RzIGFuZCBjYXRz…`. The prefix lets secret scanners and people
/// recognise a leaked token; base64url needs no escaping in URLs, headers or shells.
///
/// The server keeps ``storedHash`` (hex SHA-256 of the whole text) and never the token. No salt
/// or slow hash is needed, because unlike a password the token has 256 bits of entropy: nobody
/// can brute-force the hash, and equal hashes can only come from equal tokens.
///
/// Deliberately not `Equatable`: compare a presented token with ``matches(_:storedHash:)``,
/// which runs in constant time, never with `==`.
///
/// ```swift
/// let token = SecretToken.generate()
/// send(token.text)                           // once, to the client
/// save(token.storedHash)                     // in the database
/// SecretToken.matches(presented, storedHash: saved)  // on each request
/// ```
public struct SecretToken: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The recognisable prefix of every token.
    public static let prefix = "dst_"
    /// Random bytes per token: 32 bytes, 256 bits (at least 128 are required).
    public static let randomByteCount = 32
    /// The length of the text form: the prefix plus ⌈32·4/3⌉ = 43 symbols.
    public static let textLength = prefix.utf8.count + (randomByteCount * 4 + 2) / 3

    /// The secret itself, to hand to the client once. Never log it.
    public let text: String

    /// Wraps an already validated token text.
    private init(validatedText: String) {
        text = validatedText
    }

    /// A new token from the kernel's random source (`getrandom(2)` via
    /// `SystemRandomNumberGenerator`).
    public static func generate() -> SecretToken {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    /// A new token from `generator`; pass a seeded generator only in tests.
    public static func generate<Generator: RandomNumberGenerator>(using generator: inout Generator) -> SecretToken {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(randomByteCount)
        while bytes.count < randomByteCount {
            var word = generator.next()
            for _ in 0..<min(8, randomByteCount - bytes.count) {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return SecretToken(validatedText: prefix + Base64URL.encode(bytes))
    }

    /// Parses a presented token, or returns nil when it does not have the shape of one: the
    /// prefix, 43 canonical base64url symbols, 32 bytes.
    ///
    /// Shape checks only; whether the token is valid is decided by ``matches(_:storedHash:)``.
    public init?(parsing text: String) {
        guard text.utf8.count == Self.textLength, text.hasPrefix(Self.prefix) else { return nil }
        let body = String(text.dropFirst(Self.prefix.count))
        guard let bytes = Base64URL.decode(body), bytes.count == Self.randomByteCount else { return nil }
        self.init(validatedText: text)
    }

    /// The 32 random bytes the token encodes.
    public var randomBytes: [UInt8] {
        // The text was built or validated as prefix + canonical base64url of 32 bytes.
        Base64URL.decode(String(text.dropFirst(Self.prefix.count))) ?? []
    }

    /// What the server stores: the hex SHA-256 of the token text (64 lowercase hex digits).
    public var storedHash: String {
        Self.storedHash(of: text)
    }

    /// The hex SHA-256 of any presented text, for looking a token up by its hash.
    public static func storedHash(of presentedText: String) -> String {
        SHA256.hexHash(Array(presentedText.utf8))
    }

    /// Whether `presentedText` is the token whose hash is `storedHash`, compared in constant time.
    public static func matches(_ presentedText: String, storedHash: String) -> Bool {
        let presentedHash = Array(Self.storedHash(of: presentedText).utf8)
        return constantTimeEquals(presentedHash, Array(storedHash.lowercased().utf8))
    }

    /// Redacted, so a token that reaches a log or an interpolation does not leak.
    public var description: String {
        "\(Self.prefix)…(redacted)"
    }

    /// Redacted, as ``description``; includes a short hash prefix to tell tokens apart.
    public var debugDescription: String {
        "SecretToken(\(Self.prefix)…, sha256 \(storedHash.prefix(8))…)"
    }
}
