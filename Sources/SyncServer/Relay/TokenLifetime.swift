/// How long a token lives, as typed on the command line: `30d`, `12h` or `45m`.
public struct TokenLifetime: Sendable, Hashable, CustomStringConvertible {
    /// The default: 30 days.
    public static let `default` = TokenLifetime(seconds: 30 * 86_400, text: "30d")
    /// The longest accepted: about ten years.
    public static let maximumSeconds: Int64 = 3_660 * 86_400

    /// The lifetime in seconds, positive.
    public let seconds: Int64
    /// The text it was parsed from.
    public let text: String

    private init(seconds: Int64, text: String) {
        self.seconds = seconds
        self.text = text
    }

    /// Parses a whole number followed by `d` (days), `h` (hours) or `m` (minutes).
    ///
    /// - Throws: ``TokenCommandError/invalidLifetime(_:)`` for anything else, for zero, and
    ///   for more than ``maximumSeconds``.
    public init(parsing text: String) throws(TokenCommandError) {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0,
            !text.dropLast().hasPrefix("+")
        else { throw .invalidLifetime(text) }
        let unitSeconds: Int64
        switch unit {
        case "d": unitSeconds = 86_400
        case "h": unitSeconds = 3_600
        case "m": unitSeconds = 60
        default: throw .invalidLifetime(text)
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unitSeconds)
        guard !overflow, seconds <= Self.maximumSeconds else { throw .invalidLifetime(text) }
        self.init(seconds: seconds, text: text)
    }

    public var description: String { text }
}
