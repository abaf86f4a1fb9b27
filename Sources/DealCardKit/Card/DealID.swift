/// The id of one deal: 1–64 characters of `a-z`, `A-Z`, `0-9`, `-` and `_`.
///
/// Devices make ids offline (``random()``), so they must not collide: 12 random characters
/// from a 32-letter alphabet give 60 bits.
public struct DealID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    /// Validates `rawValue`; nil when it is empty, too long or has another character.
    public init?(_ rawValue: String) {
        guard DealID.problem(with: rawValue) == nil else { return nil }
        self.rawValue = rawValue
    }

    /// What is wrong with `text` as a deal id, or nil.
    public static func problem(with text: String) -> String? {
        if text.isEmpty { return "a deal id cannot be empty" }
        if text.utf8.count > 64 { return "a deal id has at most 64 characters" }
        let allowed = text.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F
        }
        return allowed ? nil : "a deal id uses only letters, digits, '-' and '_'"
    }

    /// A new random id such as `d-7k2m9x4qpa3c`.
    public static func random() -> DealID {
        let alphabet = Array("abcdefghjkmnpqrstuvwxyz023456789")
        var generator = SystemRandomNumberGenerator()
        let letters = (0..<12).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
        return DealID("d-" + String(letters))!
    }

    public var description: String { rawValue }

    public static func < (lhs: DealID, rhs: DealID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = DealID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: DealID.problem(with: text) ?? "bad deal id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
