/// Reading responses (a parser made with `mode: .responses(toMethod:)`): the status line,
/// interim answers, and the framing rules of RFC 9112 §6.3 that only responses have.
///
/// - 1xx answers are skipped, up to ``maxInterimResponses`` of them; `101 Switching
///   Protocols` is refused, since what follows it is no longer HTTP/1.1 (and the client
///   never asks for an upgrade).
/// - No body for 204, 304, answers to `HEAD` and 2xx answers to `CONNECT`, whatever the
///   framing fields say (§6.3 items 1 and 2).
/// - Else chunked or `Content-Length` as for requests (the same code); without either,
///   the body runs until the connection closes (§6.3 item 8), which ``finish()`` reports.
/// - ``Limits/maxBodyBytes`` caps the decoded body in every framing.
extension HTTPParser {
    /// A complete response, body decoded.
    struct Response: Sendable, Equatable {
        var version: HTTPVersion
        var status: Int
        /// The reason phrase as sent, possibly empty; informational only.
        var reason: String
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// What reading responses yields.
    enum ResponseEvent {
        /// Nothing complete yet: append more bytes, or call ``HTTPParser/finish()`` once
        /// the connection has closed.
        case needMoreData
        /// A complete final (non-1xx) response.
        case response(Response)
        /// The answer is malformed, over a limit, or was cut (``HTTPParseError/incompleteMessage``).
        case failure(HTTPParseError)
    }

    /// The most interim answers skipped before a final one; more are refused, so a server
    /// cannot keep a client reading `100 Continue` forever within its deadline.
    static let maxInterimResponses = 16

    /// The next response event; call until it is `.needMoreData`. Response parsers only.
    mutating func nextResponse() -> ResponseEvent {
        guard case .responses = mode else {
            preconditionFailure("nextResponse() reads responses; a request parser uses next()")
        }
        do throws(HTTPParseError) {
            switch try advance() {
            case .needMoreData:
                return .needMoreData
            case .continueRequested:
                preconditionFailure("a response parser asked for 100 Continue")
            case .message(let head, let body):
                return .response(Response(head: head, body: body))
            }
        } catch {
            return .failure(fail(error))
        }
    }

    /// Tells the parser the connection closed: no more bytes will come.
    ///
    /// Returns the response whose body ran until the close, or one completed by the bytes
    /// already appended; fails with ``HTTPParseError/incompleteMessage`` when the status
    /// line, the head, a declared length or a chunked body was cut short (or nothing
    /// arrived at all), or with whatever else those bytes break.
    mutating func finish() -> Result<Response, HTTPParseError> {
        let event = nextResponse()
        inputEnded = true
        switch event {
        case .response(let response):
            return .success(response)
        case .failure(let error):
            return .failure(error)
        case .needMoreData:
            if case .body(let head, .untilClose, _) = state {
                return .success(Response(head: head, body: endMessage()))
            }
            return .failure(fail(.incompleteMessage))
        }
    }

    /// A response's framing; nil for an interim answer, after which the final one follows.
    mutating func responseFraming(_ head: Head, status: Int) throws(HTTPParseError) -> Framing? {
        guard case .responses(let method) = mode else { preconditionFailure("a request parser read a status line") }
        if status < 200 {
            guard status != 101, interimCount < Self.maxInterimResponses else { throw .unexpectedInterimResponse }
            interimCount += 1
            return nil
        }
        if status == 204 || status == 304 || method == "HEAD" || (method == "CONNECT" && status < 300) {
            return .noBody
        }
        return try declaredFraming(head) ?? .untilClose
    }
}

extension HTTPParser.Response {
    init(head: HTTPParser.Head, body: [UInt8]) {
        guard case .status(let code, let reason) = head.startLine else {
            preconditionFailure("a response parser read a request line")
        }
        version = head.version
        status = code
        self.reason = reason
        headers = head.headers
        self.body = body
    }
}
