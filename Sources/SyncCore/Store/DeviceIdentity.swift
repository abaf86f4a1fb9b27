import CRDT
import DealCardKit

/// Who a device store edits as: its replica id and the token's user, role and dealership,
/// the device's id and channel, and the relay it syncs with.
public struct DeviceIdentity: Sendable, Equatable, Codable {
    /// The replica id of every document this device edits.
    public var replica: ReplicaID
    public var user: String
    public var role: Role
    public var dealership: String
    /// A stable id of this device (the token may be bound to it).
    public var device: String
    public var channel: Channel
    /// The relay's base URL, if the device syncs.
    public var server: String?
    /// The bearer token for the relay.
    public var token: String?

    public init(replica: ReplicaID = .random(), user: String, role: Role, dealership: String, device: String,
                channel: Channel, server: String? = nil, token: String? = nil) {
        self.replica = replica
        self.user = user
        self.role = role
        self.dealership = dealership
        self.device = device
        self.channel = channel
        self.server = server
        self.token = token
    }

    enum CodingKeys: String, CodingKey { case replica, user, role, dealership, device, channel, server, token }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let hex = try container.decode(String.self, forKey: .replica)
        guard let replica = ReplicaID(hex: hex) else {
            throw DecodingError.dataCorruptedError(forKey: .replica, in: container, debugDescription: "bad replica id \(hex)")
        }
        self.replica = replica
        user = try container.decode(String.self, forKey: .user)
        role = try container.decode(Role.self, forKey: .role)
        dealership = try container.decode(String.self, forKey: .dealership)
        device = try container.decode(String.self, forKey: .device)
        channel = try container.decode(Channel.self, forKey: .channel)
        server = try container.decodeIfPresent(String.self, forKey: .server)
        token = try container.decodeIfPresent(String.self, forKey: .token)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(replica.description, forKey: .replica)
        try container.encode(user, forKey: .user)
        try container.encode(role, forKey: .role)
        try container.encode(dealership, forKey: .dealership)
        try container.encode(device, forKey: .device)
        try container.encode(channel, forKey: .channel)
        try container.encodeIfPresent(server, forKey: .server)
        try container.encodeIfPresent(token, forKey: .token)
    }

    /// The metadata of a change made now by this device.
    public func author(at time: Int64) -> ChangeAuthor {
        ChangeAuthor(user: user, role: role, device: device, channel: channel, time: time)
    }
}
