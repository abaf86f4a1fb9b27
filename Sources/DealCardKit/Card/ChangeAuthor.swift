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
    public init?(metadata: [UInt8]) {
        guard let author = try? JSONDecoder().decode(ChangeAuthor.self, from: Data(metadata)) else { return nil }
        self = author
    }

    /// The time as a date.
    public var date: Date { Date(timeIntervalSince1970: Double(time) / 1000) }
}
