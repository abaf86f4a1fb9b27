/// An incremental HTTP/1.1 message parser (RFC 9112) over bytes: no I/O, no clock. The
/// server reads requests with it, the client (``SocketHTTPClient``) reads responses.
///
/// Feed it bytes with ``append(_:)`` as they arrive, then call ``next()`` (requests) or
/// ``nextResponse()`` (responses) until it answers `.needMoreData`. It yields one complete
/// message at a time, so a server that answers requests in order simply stops calling
/// `next()` while a response is pending; pipelined bytes wait in the buffer. A response
/// parser is told the connection closed with ``finish()``.
///
/// The two modes differ only in the start line and in how a body is framed when no
/// framing field says so; field lines, limits, `Content-Length` and `Transfer-Encoding`
/// rules and the chunked coding are the same code. Strictness, decided here once:
/// - Lines end in CRLF; a bare LF or a stray CR is refused, see
///   ``HTTPParseError/bareLineFeed``. Empty lines before a request line are skipped
///   (RFC 9112 §2.2); before a status line they are refused.
/// - Obsolete line folding, whitespace before the colon, control characters: refused.
/// - `Content-Length` together with `Transfer-Encoding`, or differing `Content-Length`
///   values: refused. Chunked is the only transfer coding; trailer fields are checked,
///   then dropped.
/// - Requests: HTTP/1.1 needs exactly one `Host`; `Expect: 100-continue` yields
///   `.continueRequested` once, when the head is complete and the body has not fully
///   arrived yet. See `HTTPParser+Body.swift`.
/// - Responses: framing by RFC 9112 §6.3, interim (1xx) answers skipped. See
///   `HTTPParser+Response.swift`.
///
/// After a failure the parser stays failed: the connection must be closed.
struct HTTPParser {
    /// Which messages the parser reads; fixed for its life.
    enum Mode: Equatable {
        /// Requests, one after another, as a server reads them.
        case requests
        /// Responses to requests with this method (a `HEAD` answer has no body).
        case responses(toMethod: String)
    }

    /// The size limits the parser enforces; timeouts are the caller's business.
    struct Limits: Sendable, Equatable {
        /// The longest start line (request line or status line) without its CRLF.
        var maxRequestLineLength = 8 * 1024
        var maxHeaderCount = 100
        var maxHeaderBytes = 16 * 1024
        var maxBodyBytes = 8 * 1024 * 1024
        /// Requests only: POST, PUT and PATCH need a length (411).
        var requireLengthForBodyMethods = true
    }

    /// What reading requests yields.
    enum Event {
        /// Nothing complete yet: append more bytes.
        case needMoreData
        /// The client waits for `100 Continue` before sending the body.
        case continueRequested
        /// A complete request, with its body decoded.
        case request(HTTPRequest)
        /// The input is malformed or over a limit; answer with the error's status and close.
        case failure(HTTPParseError)
    }

    /// What the parser is waiting for, which picks the timeout that applies.
    enum Phase: Equatable {
        /// Between messages: nothing of the next one has arrived.
        case idle
        /// Part of a start line or header section has arrived.
        case head
        /// The head is complete; the body is still arriving.
        case body
        /// The parser has failed.
        case failed
    }

    /// The longest chunk-size line (with extensions) accepted.
    static let maxChunkLineLength = 1024

    /// The first line of a message.
    enum StartLine {
        case request(method: String, target: String, parsedTarget: HTTPRequestTarget)
        case status(code: Int, reason: String)
    }

    struct Head {
        var startLine: StartLine
        var version: HTTPVersion
        var headers = HTTPHeaders()
        var headerBytes = 0
    }

    enum BodyState {
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(count: Int)
        /// Responses only: everything until the connection closes (RFC 9112 §6.3 item 8).
        case untilClose
    }

    enum State {
        case startLine
        case headers(Head)
        case body(Head, BodyState, continueAnswered: Bool)
        case failed(HTTPParseError)
    }

    /// What one step of the shared state machine produced.
    enum Step {
        case needMoreData
        case continueRequested
        case message(Head, body: [UInt8])
    }

    let mode: Mode
    let limits: Limits
    var buffer: [UInt8] = []
    /// The first byte not yet consumed.
    var start = 0
    /// How many bytes after `start` are known to hold no LF.
    var scanned = 0
    var state = State.startLine
    var body: [UInt8] = []
    /// Interim (1xx) answers skipped before the current response.
    var interimCount = 0
    /// Whether ``finish()`` was called: no bytes may follow.
    var inputEnded = false

    /// A parser of requests, as the server uses it.
    init(limits: Limits = Limits()) {
        self.init(mode: .requests, limits: limits)
    }

    init(mode: Mode, limits: Limits = Limits()) {
        self.mode = mode
        self.limits = limits
    }

    /// Bytes received and not yet consumed by a complete message.
    var bufferedByteCount: Int { buffer.count - start }

    var phase: Phase {
        switch state {
        case .startLine: bufferedByteCount == 0 ? .idle : .head
        case .headers: .head
        case .body: .body
        case .failed: .failed
        }
    }

    /// Adds received bytes.
    ///
    /// - Complexity: O(*n* + the unconsumed bytes already buffered), which are at most a
    ///   partial line or a few pipelined requests.
    mutating func append(_ bytes: some Sequence<UInt8>) {
        precondition(!inputEnded, "bytes appended after finish()")
        if start > 0 {
            buffer.removeSubrange(..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next request event; call until it is `.needMoreData`. Request parsers only.
    mutating func next() -> Event {
        guard case .requests = mode else { preconditionFailure("next() reads requests; a response parser uses nextResponse()") }
        do throws(HTTPParseError) {
            switch try advance() {
            case .needMoreData: return .needMoreData
            case .continueRequested: return .continueRequested
            case .message(let head, let body): return .request(HTTPRequest(head: head, body: body))
            }
        } catch {
            return .failure(fail(error))
        }
    }

    /// Runs the state machine until a message is complete, the body waits for
    /// `100 Continue`, or more bytes are needed.
    mutating func advance() throws(HTTPParseError) -> Step {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .startLine:
                guard let line = try takeLine(limit: limits.maxRequestLineLength, tooLong: startLineTooLong) else {
                    releaseBufferIfEmpty()
                    return .needMoreData
                }
                // nil: an empty line before a request line, skipped.
                guard let head = try parseStartLine(line) else { continue }
                state = .headers(head)
            case .headers(var head):
                let budget = limits.maxHeaderBytes - head.headerBytes
                guard let line = try takeLine(limit: max(budget - 2, 0), tooLong: .headersTooLarge) else {
                    return .needMoreData
                }
                head.headerBytes += line.count + 2
                if line.isEmpty {
                    if let step = try finishHead(head) { return step }
                    continue
                }
                guard head.headers.count < limits.maxHeaderCount else { throw .tooManyHeaders }
                let (name, value) = try Self.parseFieldLine(line)
                head.headers.add(name: name, value: value)
                state = .headers(head)
            case .body(let head, let bodyState, let continueAnswered):
                if let step = try advanceBody(head, bodyState, continueAnswered: continueAnswered) {
                    return step
                }
            }
        }
    }

    /// Enters the failed state for good and returns `error`.
    mutating func fail(_ error: HTTPParseError) -> HTTPParseError {
        state = .failed(error)
        return error
    }

    /// Consumes and returns the next line without its CRLF, or nil when no full line
    /// has arrived. Throws `tooLong` once more than `limit` bytes wait without a line end.
    mutating func takeLine(limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let searchFrom = start + scanned
        guard let lineFeed = buffer[searchFrom...].firstIndex(of: HTTPSyntax.lf) else {
            scanned = buffer.count - start
            // One extra byte may be the CR of the line end.
            if scanned > limit + 1 { throw tooLong }
            return nil
        }
        guard lineFeed > start, buffer[lineFeed - 1] == HTTPSyntax.cr else { throw .bareLineFeed }
        let line = buffer[start..<(lineFeed - 1)]
        guard line.count <= limit else { throw tooLong }
        guard !line.contains(HTTPSyntax.cr) else { throw .bareLineFeed }
        start = lineFeed + 1
        scanned = 0
        return line
    }

    /// Frees the buffer's storage between messages, so idle connections stay small.
    mutating func releaseBufferIfEmpty() {
        if start == buffer.count, buffer.capacity > 0 {
            buffer = []
            start = 0
            scanned = 0
        }
    }

    /// `field-name ":" OWS field-value OWS` (RFC 9112 §5), for header and trailer fields.
    static func parseFieldLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (String, String) {
        guard let first = line.first, !HTTPSyntax.isOWS(first) else { throw .invalidHeader }
        guard let colon = line.firstIndex(of: HTTPSyntax.colon) else { throw .invalidHeader }
        let name = line[line.startIndex..<colon]
        guard HTTPSyntax.isToken(name) else { throw .invalidHeader }
        var value = line[(colon + 1)...]
        while let byte = value.first, HTTPSyntax.isOWS(byte) { value = value.dropFirst() }
        while let byte = value.last, HTTPSyntax.isOWS(byte) { value = value.dropLast() }
        guard value.allSatisfy(HTTPSyntax.isFieldValueChar) else { throw .invalidHeader }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }
}
