/// An incremental HTTP/1.1 request parser (RFC 9112) over bytes: no I/O, no clock.
///
/// Feed it bytes with ``append(_:)`` as they arrive, then call ``next()`` until it
/// answers `.needMoreData`. It yields one complete request at a time, so a caller that
/// serves requests in order simply stops calling `next()` while a response is pending;
/// pipelined bytes wait in the buffer.
///
/// Strictness, decided here once:
/// - Lines end in CRLF; a bare LF or a stray CR is refused (400), see
///   ``HTTPParseError/bareLineFeed``. Empty lines before a request line are skipped
///   (RFC 9112 §2.2).
/// - Obsolete line folding, whitespace before the colon, control characters: 400.
/// - HTTP/1.1 needs exactly one `Host`. `Content-Length` together with
///   `Transfer-Encoding`, or differing `Content-Length` values: 400.
/// - Chunked is the only transfer coding; trailer fields are checked, then dropped.
/// - `Expect: 100-continue` yields `.continueRequested` once, when the head is complete
///   and the body has not fully arrived yet.
///
/// After a `.failure` the parser stays failed: the connection must be closed.
struct HTTPParser {
    /// The size limits the parser enforces; timeouts are the connection's business.
    struct Limits: Sendable, Equatable {
        var maxRequestLineLength = 8 * 1024
        var maxHeaderCount = 100
        var maxHeaderBytes = 16 * 1024
        var maxBodyBytes = 8 * 1024 * 1024
        var requireLengthForBodyMethods = true
    }

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
        /// Between requests: nothing of the next one has arrived.
        case idle
        /// Part of a request line or header section has arrived.
        case head
        /// The head is complete; the body is still arriving.
        case body
        /// The parser has failed.
        case failed
    }

    /// The longest chunk-size line (with extensions) accepted.
    static let maxChunkLineLength = 1024

    struct Head {
        var method: String
        var target: String
        var parsedTarget: HTTPRequestTarget
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
    }

    enum State {
        case requestLine
        case headers(Head)
        case body(Head, BodyState, continueAnswered: Bool)
        case failed(HTTPParseError)
    }

    let limits: Limits
    var buffer: [UInt8] = []
    /// The first byte not yet consumed.
    var start = 0
    /// How many bytes after `start` are known to hold no LF.
    var scanned = 0
    var state = State.requestLine
    var body: [UInt8] = []

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received and not yet consumed by a complete request.
    var bufferedByteCount: Int { buffer.count - start }

    var phase: Phase {
        switch state {
        case .requestLine: bufferedByteCount == 0 ? .idle : .head
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
        if start > 0 {
            buffer.removeSubrange(..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next event; call until it is `.needMoreData`.
    mutating func next() -> Event {
        do throws(HTTPParseError) {
            while true {
                switch state {
                case .failed(let error):
                    return .failure(error)
                case .requestLine:
                    guard let line = try takeLine(limit: limits.maxRequestLineLength, tooLong: .requestLineTooLong) else {
                        releaseBufferIfEmpty()
                        return .needMoreData
                    }
                    if line.isEmpty { continue }
                    state = .headers(try Self.parseRequestLine(line))
                case .headers(var head):
                    let budget = limits.maxHeaderBytes - head.headerBytes
                    guard let line = try takeLine(limit: max(budget - 2, 0), tooLong: .headersTooLarge) else {
                        return .needMoreData
                    }
                    head.headerBytes += line.count + 2
                    if line.isEmpty {
                        if let event = try finishHead(head) { return event }
                        continue
                    }
                    guard head.headers.count < limits.maxHeaderCount else { throw .tooManyHeaders }
                    let (name, value) = try Self.parseFieldLine(line)
                    head.headers.add(name: name, value: value)
                    state = .headers(head)
                case .body(let head, let bodyState, let continueAnswered):
                    if let event = try advanceBody(head, bodyState, continueAnswered: continueAnswered) {
                        return event
                    }
                }
            }
        } catch {
            state = .failed(error)
            return .failure(error)
        }
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

    /// Frees the buffer's storage between requests, so idle connections stay small.
    mutating func releaseBufferIfEmpty() {
        if start == buffer.count, buffer.capacity > 0 {
            buffer = []
            start = 0
            scanned = 0
        }
    }

    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Head {
        guard let firstSpace = line.firstIndex(of: HTTPSyntax.space),
              let lastSpace = line.lastIndex(of: HTTPSyntax.space),
              firstSpace < lastSpace
        else { throw .invalidRequestLine }
        let method = line[line.startIndex..<firstSpace]
        let target = line[(firstSpace + 1)..<lastSpace]
        let version = try parseVersion(line[(lastSpace + 1)...])
        guard HTTPSyntax.isToken(method) else { throw .invalidMethod }
        guard !target.isEmpty else { throw .invalidRequestLine }
        guard target.allSatisfy(HTTPSyntax.isTargetChar) else { throw .invalidTarget }
        let targetString = String(decoding: target, as: UTF8.self)
        let parsedTarget = try HTTPRequestTarget(targetString)
        let methodString = String(decoding: method, as: UTF8.self)
        if parsedTarget.rawPath == "*", methodString != "OPTIONS" { throw .invalidTarget }
        return Head(method: methodString, target: targetString, parsedTarget: parsedTarget, version: version)
    }

    static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let text = Array(bytes)
        guard text.count == 8, text[0..<5].elementsEqual("HTTP/".utf8), text[6] == UInt8(ascii: "."),
              let major = HTTPSyntax.decimal(text[5...5]), let minor = HTTPSyntax.decimal(text[7...7])
        else { throw .invalidVersion }
        guard major == 1 else { throw .unsupportedVersion }
        return HTTPVersion(major: major, minor: minor)
    }

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
