import Foundation

/// Who made a change, with which role, from which device and channel, and when: what every
/// change of a deal card carries in its metadata, so the card can show its own history.
///
/// Encoded as compact JSON with sorted one-letter keys (`c` channel, `d` device, `r` role,
/// `t` milliseconds since 1970, `u` user), readable from any language.
public struct ChangeAuthor: Hashable, Sendable, Codable {
    public var user: String
    public var role: Role
    public var device: String
    public var channel: Channel
    /// Wall-clock time of the edit on the author's device, in milliseconds since 1970.
    public var time: Int64

    public init(user: String, role: Role, device: String, channel: Channel, time: Int64) {
        self.user = user
        self.role = role
        self.device = device
        self.channel = channel
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case user = "u", role = "r", device = "d", channel = "c", time = "t"
    }

    /// The metadata bytes for a change.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Reads change metadata; nil when it is not an author record.
    ///
    /// - Complexity: O(bytes). Metadata in the form ``encoded()`` writes (nearly all of it)
    ///   is read without `JSONDecoder`, which costs about as much as reading a card does;
    ///   any other form goes to `JSONDecoder`, so what is accepted and what comes out are
    ///   the same either way.
    public init?(metadata: [UInt8]) {
        if let author = ChangeAuthor(canonical: metadata) {
            self = author
            return
        }
        guard let author = try? JSONDecoder().decode(ChangeAuthor.self, from: Data(metadata)) else { return nil }
        self = author
    }

    /// Reads exactly what ``encoded()`` writes for printable ASCII strings:
    /// `{"c":"…","d":"…","r":"…","t":…,"u":"…"}` without spaces or escapes, and a time
    /// without leading zeros that fits in 18 digits. Anything else is nil (for `JSONDecoder`
    /// to judge), so this never accepts what the decoder would refuse nor reads it otherwise.
    init?(canonical bytes: [UInt8]) {
        var reader = CanonicalReader(bytes: bytes)
        guard reader.literal(#"{"c":""#), let channel = reader.string().flatMap(Channel.init(rawValue:)),
              reader.literal(#"","d":""#), let device = reader.string(),
              reader.literal(#"","r":""#), let role = reader.string().flatMap(Role.init(rawValue:)),
              reader.literal(#"","t":"#), let time = reader.integer(),
              reader.literal(#","u":""#), let user = reader.string(),
              reader.literal(#""}"#), reader.isAtEnd
        else { return nil }
        self.init(user: user, role: role, device: device, channel: channel, time: time)
    }

    /// A cursor over the canonical form's bytes.
    private struct CanonicalReader {
        let bytes: [UInt8]
        var position = 0

        var isAtEnd: Bool { position == bytes.count }

        /// Steps over `text` if the bytes continue with it.
        mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            let matches = text.withUTF8Buffer { expected in
                expected.indices.allSatisfy { bytes[position + $0] == expected[$0] }
            }
            if matches { position += count }
            return matches
        }

        /// The string up to the next quote (left in place): printable ASCII without a
        /// backslash (an escape); nil otherwise.
        mutating func string() -> String? {
            let start = position
            while position < bytes.count, bytes[position] != UInt8(ascii: "\"") {
                let byte = bytes[position]
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                position += 1
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        /// A JSON integer of at most 18 digits (so it fits an `Int64`), no leading zero,
        /// no minus zero; nil otherwise.
        mutating func integer() -> Int64? {
            let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            let start = position
            var value: Int64 = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                guard position - start < 18 else { return nil }
                value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
                position += 1
            }
            let digits = position - start
            guard digits > 0, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && value == 0) else { return nil }
            return negative ? -value : value
        }
    }

    /// The time as a date.
    public var date: Date { Date(timeIntervalSince1970: Double(time) / 1000) }
}
