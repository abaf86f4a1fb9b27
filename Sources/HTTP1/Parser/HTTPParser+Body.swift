/// Message framing (RFC 9112 §6) and the chunked coding (§7.1).
extension HTTPParser {
    /// Methods whose requests are expected to carry a body; without a length they get
    /// 411 when ``Limits/requireLengthForBodyMethods`` is set.
    static let bodyMethods: Set<String> = ["POST", "PUT", "PATCH"]

    /// Decides how the body is framed once the header section is complete; returns the
    /// request when it has no body, `.continueRequested` when the client waits for it.
    mutating func finishHead(_ head: Head) throws(HTTPParseError) -> Event? {
        let headers = head.headers
        if head.version.isAtLeast1_1 {
            guard headers.values(for: "Host").count == 1 else { throw .invalidHost }
        }
        let hasTransferEncoding = headers.contains("Transfer-Encoding")
        let lengthFields = headers.values(for: "Content-Length")
        if hasTransferEncoding {
            guard lengthFields.isEmpty else { throw .contentLengthWithTransferEncoding }
            guard head.version.isAtLeast1_1 else { throw .invalidTransferEncoding }
            let codings = headers.tokens(for: "Transfer-Encoding").map { coding in
                coding.split(separator: ";", maxSplits: 1).first.map { $0.trimmingOWS() } ?? ""
            }
            guard codings.allSatisfy({ $0 == "chunked" }) else { throw .unsupportedTransferCoding }
            guard codings.count == 1 else { throw .invalidTransferEncoding }
            body = []
            state = .body(head, .chunkSize, continueAnswered: false)
            return continueEvent(head)
        }
        if !lengthFields.isEmpty {
            let length = try Self.contentLength(lengthFields)
            guard length <= limits.maxBodyBytes else { throw .bodyTooLarge }
            if length > 0 {
                body = []
                body.reserveCapacity(min(length, 64 * 1024))
                state = .body(head, .fixed(remaining: length), continueAnswered: false)
                return continueEvent(head)
            }
        } else if limits.requireLengthForBodyMethods, Self.bodyMethods.contains(head.method) {
            throw .lengthRequired
        }
        body = []
        return complete(head)
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
    mutating func continueEvent(_ head: Head) -> Event? {
        guard head.version.isAtLeast1_1,
              head.headers.tokens(for: "Expect").contains("100-continue"),
              case .body(let head, let bodyState, _) = state
        else { return nil }
        if case .fixed(let remaining) = bodyState, bufferedByteCount >= remaining { return nil }
        if case .chunkSize = bodyState, bufferedByteCount > 0 { return nil }
        state = .body(head, bodyState, continueAnswered: true)
        return .continueRequested
    }

    /// Moves body bytes out of the buffer; returns the request once the body is complete.
    mutating func advanceBody(_ head: Head, _ bodyState: BodyState, continueAnswered: Bool) throws(HTTPParseError) -> Event? {
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

    /// The finished request; the parser is ready for the next one.
    mutating func complete(_ head: Head) -> Event {
        let request = HTTPRequest(head: head, body: body)
        body = []
        state = .requestLine
        releaseBufferIfEmpty()
        return .request(request)
    }
}

extension HTTPRequest {
    init(head: HTTPParser.Head, body: [UInt8]) {
        method = head.method
        target = head.target
        path = head.parsedTarget.path
        rawPath = head.parsedTarget.rawPath
        queryItems = head.parsedTarget.queryItems
        version = head.version
        headers = head.headers
        self.body = body
        remoteAddress = ""
    }
}
