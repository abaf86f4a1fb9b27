import DealCardKit

/// Who made a change, as the relay records it next to the change: the card shows it in
/// its history and analytics count it.
public struct LogAuthor: Sendable, Hashable {
    /// The user, from the token the change arrived with.
    public var user: String
    /// The role the change was checked against.
    public var role: Role
    /// The device the change came from (the token's device, or the token id when the token
    /// names none, so that every change has one).
    public var device: String
    /// Where the change was made.
    public var channel: Channel

    public init(user: String, role: Role, device: String, channel: Channel) {
        self.user = user
        self.role = role
        self.device = device
        self.channel = channel
    }
}
