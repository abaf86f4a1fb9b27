import Foundation
import DealCardKit

/// One issued bearer token as the relay stores it: who it speaks for, never the secret.
///
/// The secret itself (``SecretToken/text``) is shown once when issued; the relay keeps only
/// ``storedHash`` and finds the record by hashing what a client presents.
public struct TokenRecord: Sendable, Hashable {
    /// The prefix of every public token id.
    public static let idPrefix = "tok_"

    /// The short public id (`tok_` + 8 hex digits), safe to print, log and type in `revoke`.
    public var id: String
    /// The hex SHA-256 of the token text (``SecretToken/storedHash``).
    public var storedHash: String
    /// The user the token speaks for.
    public var user: String
    /// The role every change made with the token is checked against.
    public var role: Role
    /// The dealership whose deals the token reaches.
    public var dealership: String
    /// The device the token is bound to, when it is a device token.
    public var device: String?
    /// The only deal the token reaches, when it is scoped to one.
    public var deal: String?
    /// When the token was issued (stored to the millisecond).
    public var createdAt: Date
    /// When the token stops working (stored to the millisecond).
    public var expiresAt: Date
    /// Whether the token was revoked; a revoked token never works again.
    public var isRevoked: Bool
    /// Whether the token belongs to a downstream relay (a showroom relay syncing upstream):
    /// it reads like `head` and forwards changes made by others, each checked against its
    /// own author's role instead of the token's.
    public var isRelay: Bool

    public init(
        id: String, storedHash: String, user: String, role: Role, dealership: String,
        device: String? = nil, deal: String? = nil, createdAt: Date, expiresAt: Date, isRevoked: Bool = false,
        isRelay: Bool = false
    ) {
        self.isRelay = isRelay
        self.id = id
        self.storedHash = storedHash
        self.user = user
        self.role = role
        self.dealership = dealership
        self.device = device
        self.deal = deal
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.isRevoked = isRevoked
    }

    /// Whether the token has expired at `date` (the expiry instant itself is expired).
    public func isExpired(at date: Date) -> Bool {
        date >= expiresAt
    }

    /// A new random public id: `tok_` and 8 lowercase hex digits (32 bits).
    ///
    /// Ids are for people, not secrets; a collision is caught by the store's primary key.
    public static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        return makeID(using: &generator)
    }

    /// A new public id from `generator`; pass a seeded generator only in tests.
    public static func makeID<Generator: RandomNumberGenerator>(using generator: inout Generator) -> String {
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return idPrefix + String(repeating: "0", count: 8 - hex.count) + hex
    }
}
