import HTTP1
/// One endpoint: a method, a path pattern and the handler that answers it.
///
/// Patterns are literal segments and `{name}` parameters, each matching one non-empty path
/// segment: `/v1/deals/{deal}/changes` matches `/v1/deals/d-42/changes` with
/// `deal = "d-42"`. Paths are matched after percent-decoding (``HTTPRequest/path``).
public struct RelayRoute: Sendable {
    /// Answers a matched request.
    public typealias Handler = @Sendable (RelayRequest) async -> HTTPResponse

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    /// The method, as sent (`GET`, `POST`).
    public let method: String
    /// The pattern as written.
    public let pattern: String
    let segments: [Segment]
    let handler: Handler

    /// - Precondition: `pattern` starts with `/`, and no parameter name repeats.
    public init(_ method: String, _ pattern: String, handler: @escaping Handler) {
        precondition(pattern.hasPrefix("/"), "a route pattern starts with '/': \(pattern)")
        self.method = method
        self.pattern = pattern
        self.handler = handler
        segments = Self.split(pattern).map { segment in
            if segment.hasPrefix("{"), segment.hasSuffix("}"), segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(segment)
        }
        let names = segments.compactMap { if case .parameter(let name) = $0 { name } else { nil } }
        precondition(Set(names).count == names.count, "a parameter name repeats in \(pattern)")
    }

    /// The parameters when `path` matches the pattern, else nil.
    func match(_ path: String) -> [String: String]? {
        let parts = Self.split(path)
        guard parts.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let literal):
                guard literal == part else { return nil }
            case .parameter(let name):
                guard !part.isEmpty else { return nil }
                parameters[name] = part
            }
        }
        return parameters
    }

    /// `/a/b/` → `["a", "b", ""]`: a trailing slash is a different path, as on most servers.
    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
    }
}

/// A request matched to a route: the HTTP request and the pattern's parameters.
public struct RelayRequest: Sendable {
    /// The request as received.
    public var http: HTTPRequest
    /// The values of the pattern's `{name}` segments.
    public var parameters: [String: String]

    public init(http: HTTPRequest, parameters: [String: String] = [:]) {
        self.http = http
        self.parameters = parameters
    }
}
