/// A place in a relay's change log: the log numbers its entries 1, 2, 3, … in the order it
/// committed them, and a position names the entry with that number, or 0 for "before the
/// first". A device's cursor is the position it has read up to; a first sync's
/// `bootstrapCursor` is the position its snapshots cover.
///
/// It is not a change's `seq` (a change's number among its replica's changes): the two were
/// both called "seq" once. On the wire a position is a bare JSON integer.
public struct LogPosition: RawRepresentable, Hashable, Comparable, Sendable, Codable,
                           ExpressibleByIntegerLiteral, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) { self.rawValue = rawValue }

    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public init(integerLiteral value: Int64) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Before the first entry: where a device that never synced stands.
    public static let start: LogPosition = 0

    /// Whether this is ``start`` (a first sync asks from here).
    public var isStart: Bool { rawValue == 0 }

    /// The position just before this one (the last entry a reader of this one has passed).
    public var previous: LogPosition { LogPosition(rawValue - 1) }

    public static func < (lhs: LogPosition, rhs: LogPosition) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { String(rawValue) }
}
