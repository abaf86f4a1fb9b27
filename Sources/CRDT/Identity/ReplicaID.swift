/// The identity of one replica: one device's copy of a document, or a relay's.
///
/// A replica id is a random 64-bit number chosen when a replica is created. Every op the
/// replica makes carries it, so it must never be shared by two writers. On the wire it is
/// written once per blob in an actor table; inside a blob ops refer to it by table index.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The raw 64-bit value. `0` is reserved for the root object's id and is never a writer.
    public let rawValue: UInt64

    /// Wraps a raw value. Use ``random()`` to make a new replica.
    public init(_ rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// A fresh replica id from the system's random number generator (never zero).
    public static func random() -> ReplicaID {
        var generator = SystemRandomNumberGenerator()
        var value: UInt64 = 0
        while value == 0 { value = generator.next() }
        return ReplicaID(value)
    }

    /// Parses the 16-digit lowercase hexadecimal form that ``description`` prints.
    public init?(hex: String) {
        guard hex.count == 16, let value = UInt64(hex, radix: 16), value != 0 else { return nil }
        self.rawValue = value
    }

    /// The id as 16 lowercase hexadecimal digits.
    public var description: String {
        let digits = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.rawValue < rhs.rawValue }
}
