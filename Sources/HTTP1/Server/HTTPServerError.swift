#if canImport(Glibc)
import Glibc
#endif

/// Why the server could not start.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The host did not resolve to an address (`getaddrinfo` failed).
    case cannotResolve(host: String, message: String)
    /// A socket call failed while setting up the listener; `call` names it.
    case socketFailed(call: String, errno: Int32)
    /// The address is in use or not available; pick another port or pass 0.
    case bindFailed(host: String, port: Int, errno: Int32)
    /// A configuration value is out of range; the message names it.
    case invalidConfiguration(String)
    /// `start()` was called twice, or after `shutdown()`.
    case alreadyStarted

    public var description: String {
        switch self {
        case .cannotResolve(let host, let message):
            "cannot resolve host '\(host)': \(message)"
        case .socketFailed(let call, let code):
            "\(call) failed: \(Self.describe(code))"
        case .bindFailed(let host, let port, let code):
            "cannot listen on \(host):\(port): \(Self.describe(code)); choose another port or 0 for any free port"
        case .invalidConfiguration(let message):
            "invalid HTTP server configuration: \(message)"
        case .alreadyStarted:
            "the server was already started; create a new HTTPServer to serve again"
        }
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
