/// An HTTP protocol version as it appears in the request line (`HTTP/1.1`).
///
/// The server speaks HTTP/1.x only; the parser answers any other major version with 505.
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    public var description: String { "HTTP/\(major).\(minor)" }

    /// Whether this is HTTP/1.1 or a later 1.x (persistent connections and chunked by default).
    var isAtLeast1_1: Bool { major > 1 || (major == 1 && minor >= 1) }
}
