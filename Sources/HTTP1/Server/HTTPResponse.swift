/// A request handler: turns one request into one response.
///
/// Runs in its own `Task` on ``HTTPServer/handlerExecutor``, so it may suspend as long
/// as it likes (a long-poll simply awaits before returning) and may block a thread for a
/// short synchronous call without starving the rest of the process. When the client
/// disconnects first, the task is cancelled; check `Task.isCancelled` or use
/// cancellation-aware waits.
public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse

/// A response: a status, header fields and a body of bytes or a stream.
///
/// The server owns the framing fields: any `Content-Length`, `Transfer-Encoding` or
/// `Connection` set here is replaced. A `.bytes` body is sent with `Content-Length`; a
/// `.stream` body with `Transfer-Encoding: chunked`, one chunk per yielded element, as
/// soon as it is yielded (to an HTTP/1.0 client: unframed, then the connection closes).
/// The server adds `Date` unless the handler sets it.
public struct HTTPResponse: Sendable {
    /// The content of a response.
    public enum Body: Sendable {
        /// A complete body.
        case bytes([UInt8])
        /// A body produced over time (server-sent events, long downloads). The server
        /// iterates it, waiting while the socket is backed up; when the client goes
        /// away it stops iterating, which terminates the stream with `.cancelled`
        /// (observe it with `continuation.onTermination`). Empty elements are skipped.
        case stream(AsyncStream<[UInt8]>)
    }

    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A `text/plain; charset=utf-8` response.
    public static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: ["Content-Type": "text/plain; charset=utf-8"],
            body: .bytes(Array(text.utf8))
        )
    }

    /// An `application/json` response from already-encoded bytes.
    public static func json(_ bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes(bytes))
    }

    /// A `text/event-stream` response (server-sent events) over `stream`.
    public static func eventStream(_ stream: AsyncStream<[UInt8]>) -> HTTPResponse {
        HTTPResponse(
            status: .ok,
            headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-cache"],
            body: .stream(stream)
        )
    }
}

/// How the bytes after a response head are delimited.
enum HTTPResponseFraming: Equatable {
    /// `Content-Length: n`.
    case length(Int)
    /// `Transfer-Encoding: chunked`.
    case chunked
    /// No framing field: the body ends when the connection closes (HTTP/1.0 streams),
    /// or there is no body at all (1xx, 204, 304).
    case none
}

/// Encodes response heads; the server's only writer of status lines and framing fields.
enum HTTPResponseEncoder {
    /// The serialized status line and header section, ending in the empty line.
    ///
    /// Written as bytes (every answer has one, and a relay's fan-out sends thousands at
    /// once). Field names and values from handlers must not smuggle in line breaks: every CR
    /// and LF byte is dropped from them, and `:` from names (a CR LF pair included, which a
    /// filter over `Character`s keeps, being one character).
    static func head(
        status: HTTPStatus,
        headers: HTTPHeaders,
        framing: HTTPResponseFraming,
        close: Bool,
        date: String
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160)
        bytes.append(contentsOf: "HTTP/1.1 ".utf8)
        bytes.append(contentsOf: String(status.code).utf8)
        bytes.append(HTTPSyntax.space)
        bytes.append(contentsOf: status.reasonPhrase.utf8)
        bytes.append(contentsOf: crlf)
        var hasDate = false
        for field in headers {
            if HTTPHeaders.namesEqual(field.name, "Content-Length")
                || HTTPHeaders.namesEqual(field.name, "Transfer-Encoding")
                || HTTPHeaders.namesEqual(field.name, "Connection") {
                continue
            }
            if HTTPHeaders.namesEqual(field.name, "Date") { hasDate = true }
            for byte in field.name.utf8 where byte != HTTPSyntax.cr && byte != HTTPSyntax.lf && byte != HTTPSyntax.colon {
                bytes.append(byte)
            }
            bytes.append(HTTPSyntax.colon)
            bytes.append(HTTPSyntax.space)
            for byte in field.value.utf8 where byte != HTTPSyntax.cr && byte != HTTPSyntax.lf {
                bytes.append(byte)
            }
            bytes.append(contentsOf: crlf)
        }
        if !hasDate {
            bytes.append(contentsOf: "Date: ".utf8)
            bytes.append(contentsOf: date.utf8)
            bytes.append(contentsOf: crlf)
        }
        switch framing {
        case .length(let count):
            bytes.append(contentsOf: "Content-Length: ".utf8)
            bytes.append(contentsOf: String(count).utf8)
            bytes.append(contentsOf: crlf)
        case .chunked:
            bytes.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .none:
            break
        }
        if close { bytes.append(contentsOf: "Connection: close\r\n".utf8) }
        bytes.append(contentsOf: crlf)
        return bytes
    }

    /// A response to a request the parser refused: status, a one-line message, close.
    static func error(_ error: HTTPParseError, date: String) -> [UInt8] {
        let message = Array(error.message.utf8)
        return head(
            status: error.status,
            headers: ["Content-Type": "text/plain; charset=utf-8"],
            framing: .length(message.count),
            close: true,
            date: date
        ) + message
    }

    /// The chunk-size line of one chunk (`1a\r\n`).
    static func chunkPrefix(_ count: Int) -> [UInt8] {
        Array((String(count, radix: 16) + "\r\n").utf8)
    }

    static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)
    static let lastChunk = Array("0\r\n\r\n".utf8)
    static let crlf: [UInt8] = [HTTPSyntax.cr, HTTPSyntax.lf]
}
