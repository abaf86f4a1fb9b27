/// Why an exchange failed. The client never retries by itself; the caller decides.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, or the connection was lost or timed out before the
    /// answer was complete: retrying later may succeed.
    case unreachable(String)
    /// The answer is not HTTP/1.1 this client can read, or is over its size limit.
    case badResponse(String)
    /// The URL is not one this client can use (only `http://` with a host).
    case unsupportedURL(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "unreachable: \(reason)"
        case .badResponse(let reason): "unreadable answer: \(reason)"
        case .unsupportedURL(let reason): reason
        }
    }
}
