/// A complete HTTP request as handed to an ``HTTPHandler``.
///
/// The body is fully buffered (at most ``HTTPServerConfiguration/maxBodyBytes``); chunked
/// request bodies arrive already decoded.
///
/// `target` is the request-target exactly as sent. `path` is its path component
/// **percent-decoded** as UTF-8 (so `/docs/a%20b` reads `/docs/a b`, and `%2F` becomes `/`:
/// route on `rawPath` when that distinction matters). A target whose percent-encoding
/// is malformed or not UTF-8 is refused with 400 before any handler runs.
public struct HTTPRequest: Sendable {
    /// One `name=value` pair of the query, percent-decoded, `+` read as space.
    public struct QueryItem: Sendable, Equatable {
        public var name: String
        /// Nil when the item has no `=` (`?flag`).
        public var value: String?

        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    /// The method token, case-sensitive as RFC 9110 §9.1 says (`GET`, `POST`, ...).
    public var method: String
    /// The request-target as received (`/v1/docs/a?since=3`).
    public var target: String
    /// The percent-decoded path (`/v1/docs/a`); `*` for `OPTIONS *`.
    public var path: String
    /// The path as received, still percent-encoded.
    public var rawPath: String
    /// The query items in order; empty without a query.
    public var queryItems: [QueryItem]
    /// The protocol version from the request line.
    public var version: HTTPVersion
    /// The header fields in order, looked up case-insensitively.
    public var headers: HTTPHeaders
    /// The decoded body; empty when the request has none.
    public var body: [UInt8]
    /// The peer as `address:port` (`127.0.0.1:51234`, `[::1]:51234`).
    public var remoteAddress: String

    public init(
        method: String,
        target: String,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        remoteAddress: String = ""
    ) throws(HTTPParseError) {
        let parsed = try HTTPRequestTarget(target)
        self.method = method
        self.target = target
        self.path = parsed.path
        self.rawPath = parsed.rawPath
        self.queryItems = parsed.queryItems
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// The value of the first query item named `name`.
    public func query(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// Whether the client allows the connection to stay open after this exchange
    /// (RFC 9112 §9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive`.
    public var keepAlive: Bool {
        let options = headers.tokens(for: "Connection")
        if version.isAtLeast1_1 {
            return !options.contains("close")
        }
        return options.contains("keep-alive") && !options.contains("close")
    }
}
