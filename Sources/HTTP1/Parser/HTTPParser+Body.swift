/// Message framing (RFC 9112 §6) and the chunked coding (§7.1).
extension HTTPParser {
    /// Methods whose requests are expected to carry a body; without a length they get
    /// 411 when ``Limits/requireLengthForBodyMethods`` is set.
    static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    /// How a message's body is delimited.
    enum Framing: Equatable {
        /// The head is the whole message.
        case noBody
        /// `Content-Length` bytes, more than zero.
        case length(Int)
        /// The chunked coding.
        case chunked
        /// Responses only: the body ends when the connection closes.
        case untilClose
    }

    /// Decides how the body is framed once the header section is complete; returns the
    /// message when it has no body, `.continueRequested` when the client waits for it,
    /// nil when parsing goes on (a body, or the final answer after an interim one).
    mutating func finishHead(_ head: Head) throws(HTTPParseError) -> Step? {
        let framing: Framing
        switch head.startLine {
        case .request(let method, _, _):
            framing = try requestFraming(head, method: method)
        case .status(let code, _):
            guard let final = try responseFraming(head, status: code) else {
                state = .startLine
                return nil
            }
            framing = final
        }
        body = []
        switch framing {
        case .noBody:
            return complete(head)
        case .length(let length):
            body.reserveCapacity(min(length, 64 * 1024))
            state = .body(head, .fixed(remaining: length), continueAnswered: false)
        case .chunked:
            state = .body(head, .chunkSize, continueAnswered: false)
        case .untilClose:
            state = .body(head, .untilClose, continueAnswered: false)
        }
        return continueEvent(head)
    }

    /// A request's framing: exactly one `Host` for HTTP/1.1 (RFC 9112 §3.2), the declared
    /// framing, else no body (§6.3 item 6), or 411 for a body method.
    func requestFraming(_ head: Head, method: String) throws(HTTPParseError) -> Framing {
        if head.version.isAtLeast1_1 {
            guard head.headers.values(for: "Host").count == 1 else { throw .invalidHost }
        }
        if let declared = try declaredFraming(head) { return declared }
        if limits.requireLengthForBodyMethods, Self.bodyMethods.contains(method) { throw .lengthRequired }
        return .noBody
    }

    /// The framing `Transfer-Encoding` or `Content-Length` declare (RFC 9112 §6.1 and §6.3
    /// items 3 to 5), the same for requests and responses; nil when neither is present.
    ///
    /// Both together are refused rather than letting `Transfer-Encoding` win (§6.3 item 3
    /// says such a message "ought to be handled as an error"), and so is a coding other
    /// than `chunked`: a response it ends would be read to the close, but still unreadable.
    func declaredFraming(_ head: Head) throws(HTTPParseError) -> Framing? {
        let headers = head.headers
        let lengthFields = headers.values(for: "Content-Length")
        if headers.contains("Transfer-Encoding") {
            guard lengthFields.isEmpty else { throw .contentLengthWithTransferEncoding }
            guard head.version.isAtLeast1_1 else { throw .invalidTransferEncoding }
            let codings = headers.tokens(for: "Transfer-Encoding").map { coding in
                coding.split(separator: ";", maxSplits: 1).first.map { $0.trimmingOWS() } ?? ""
            }
            guard codings.allSatisfy({ $0 == "chunked" }) else { throw .unsupportedTransferCoding }
            guard codings.count == 1 else { throw .invalidTransferEncoding }
            return .chunked
        }
        guard !lengthFields.isEmpty else { return nil }
        let length = try Self.contentLength(lengthFields)
        guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
        return length == 0 ? .noBody : .length(length)
    }

    /// The one length all `Content-Length` values agree on (RFC 9112 §6.3 item 5).
    static func contentLength(_ fields: [String]) throws(HTTPParseError) -> Int {
        var length: Int?
        for field in fields {
            for element in field.split(separator: ",", omittingEmptySubsequences: false) {
                guard let value = HTTPSyntax.decimal(element.trimmingOWS().utf8) else { throw .invalidContentLength }
                guard length == nil || length == value else { throw .invalidContentLength }
                length = value
            }
        }
        guard let length else { throw .invalidContentLength }
        return length
    }

    /// `.continueRequested` when the client sent `Expect: 100-continue` and the body is
    /// not already here; marks it answered so it is yielded once.
    mutating func continueEvent(_ head: Head) -> Step? {
        guard case .request = head.startLine, head.version.isAtLeast1_1,
              head.headers.tokens(for: "Expect").contains("100-continue"),
              case .body(let head, let bodyState, _) = state
        else { return nil }
        if case .fixed(let remaining) = bodyState, bufferedByteCount >= remaining { return nil }
        if case .chunkSize = bodyState, bufferedByteCount > 0 { return nil }
        state = .body(head, bodyState, continueAnswered: true)
        return .continueRequested
    }

    /// Moves body bytes out of the buffer; returns the message once the body is complete.
    mutating func advanceBody(_ head: Head, _ bodyState: BodyState, continueAnswered: Bool) throws(HTTPParseError) -> Step? {
        switch bodyState {
        case .fixed(let remaining):
            let taken = takeBodyBytes(upTo: remaining)
            if taken == remaining { return complete(head) }
            state = .body(head, .fixed(remaining: remaining - taken), continueAnswered: continueAnswered)
            return .needMoreData
        case .chunkSize:
            guard let line = try takeLine(limit: Self.maxChunkLineLength, tooLong: .invalidChunk) else {
                return .needMoreData
            }
            let size = try Self.chunkSize(line)
            if size == 0 {
                state = .body(head, .trailers(count: 0), continueAnswered: continueAnswered)
                return nil
            }
            guard size <= limits.maxBodyBytes - body.count else { throw .bodyTooLarge }
            state = .body(head, .chunkData(remaining: size), continueAnswered: continueAnswered)
            return nil
        case .chunkData(let remaining):
            let taken = takeBodyBytes(upTo: remaining)
            let next: BodyState = taken == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - taken)
            state = .body(head, next, continueAnswered: continueAnswered)
            return taken == remaining ? nil : .needMoreData
        case .chunkDataEnd:
            guard bufferedByteCount >= 2 else {
                if bufferedByteCount == 1, buffer[start] != HTTPSyntax.cr { throw .invalidChunk }
                return .needMoreData
            }
            guard buffer[start] == HTTPSyntax.cr, buffer[start + 1] == HTTPSyntax.lf else { throw .invalidChunk }
            start += 2
            scanned = 0
            state = .body(head, .chunkSize, continueAnswered: continueAnswered)
            return nil
        case .trailers(let count):
            let budget = limits.maxHeaderBytes - head.headerBytes
            guard let line = try takeLine(limit: max(budget - 2, 0), tooLong: .headersTooLarge) else {
                return .needMoreData
            }
            if line.isEmpty { return complete(head) }
            guard head.headers.count + count < limits.maxHeaderCount else { throw .tooManyHeaders }
            _ = try Self.parseFieldLine(line)
            var grown = head
            grown.headerBytes += line.count + 2
            state = .body(grown, .trailers(count: count + 1), continueAnswered: continueAnswered)
            return nil
        case .untilClose:
            // Checked before the copy: the cap holds however large the reads are.
            guard bufferedByteCount <= limits.maxBodyBytes - body.count else { throw .bodyTooLarge }
            _ = takeBodyBytes(upTo: bufferedByteCount)
            return .needMoreData
        }
    }

    /// `chunk-size [ chunk-ext ]`: 1 to 15 hex digits, then nothing or `;` extensions.
    static func chunkSize(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var digits = 0
        var index = line.startIndex
        while index < line.endIndex, let digit = HTTPSyntax.hexValue(line[index]) {
            digits += 1
            guard digits <= 15 else { throw .invalidChunk }
            size = size << 4 | Int(digit)
            index += 1
        }
        guard digits > 0 else { throw .invalidChunk }
        var rest = line[index...]
        while let byte = rest.first, HTTPSyntax.isOWS(byte) { rest = rest.dropFirst() }
        if let first = rest.first {
            guard first == UInt8(ascii: ";"), rest.allSatisfy(HTTPSyntax.isFieldValueChar) else { throw .invalidChunk }
        }
        return size
    }

    /// Moves up to `count` buffered bytes into the body; returns how many moved.
    mutating func takeBodyBytes(upTo count: Int) -> Int {
        let taken = min(count, bufferedByteCount)
        body.append(contentsOf: buffer[start..<(start + taken)])
        start += taken
        scanned = 0
        return taken
    }

    /// The finished message; the parser is ready for the next one.
    mutating func complete(_ head: Head) -> Step {
        .message(head, body: endMessage())
    }

    /// Hands over the body and makes the parser ready for the next message.
    mutating func endMessage() -> [UInt8] {
        let finished = body
        body = []
        interimCount = 0
        state = .startLine
        releaseBufferIfEmpty()
        return finished
    }
}

extension HTTPRequest {
    init(head: HTTPParser.Head, body: [UInt8]) {
        guard case .request(let method, let target, let parsedTarget) = head.startLine else {
            preconditionFailure("a request parser read a status line")
        }
        self.method = method
        self.target = target
        path = parsedTarget.path
        rawPath = parsedTarget.rawPath
        queryItems = parsedTarget.queryItems
        version = head.version
        headers = head.headers
        self.body = body
        remoteAddress = ""
    }
}
