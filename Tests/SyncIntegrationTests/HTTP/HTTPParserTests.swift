import Testing
@testable import HTTP1

/// Feeds `input` in pieces cut at `cuts` and collects every request or failure.
private func parse(_ input: String, cuts: [Int] = [], limits: HTTPParser.Limits = .init()) -> (requests: [HTTPRequest], error: HTTPParseError?, continues: Int) {
    var parser = HTTPParser(limits: limits)
    let bytes = Array(input.utf8)
    var requests: [HTTPRequest] = []
    var continues = 0
    var start = 0
    for end in cuts + [bytes.count] where end >= start {
        parser.append(bytes[start..<end])
        start = end
        loop: while true {
            switch parser.next() {
            case .needMoreData: break loop
            case .continueRequested: continues += 1
            case .request(let request): requests.append(request)
            case .failure(let error): return (requests, error, continues)
            }
        }
    }
    return (requests, nil, continues)
}

@Suite struct HTTPParserTests {
    static let pipelined =
        "GET /a%20b?x=1&y=two+words&flag HTTP/1.1\r\nHost: h\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n"
        + "POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
        + "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n"

    static func checkPipelined(_ requests: [HTTPRequest]) {
        #expect(requests.count == 3)
        guard requests.count == 3 else { return }
        #expect(requests[0].method == "GET")
        #expect(requests[0].path == "/a b")
        #expect(requests[0].rawPath == "/a%20b")
        #expect(requests[0].queryItems == [.init(name: "x", value: "1"), .init(name: "y", value: "two words"), .init(name: "flag", value: nil)])
        #expect(requests[0].headers.values(for: "X-MULTI") == ["1", "2"])
        #expect(requests[0].headers["host"] == "h")
        #expect(requests[0].keepAlive)
        #expect(requests[1].body == Array("hello".utf8))
        #expect(requests[2].body == Array("abc0123456789abcdef".utf8))
    }

    @Test func pipelinedRequestsInOnePiece() {
        let result = parse(Self.pipelined)
        #expect(result.error == nil)
        Self.checkPipelined(result.requests)
    }

    @Test func pipelinedRequestsSplitAtEveryByteBoundary() {
        let count = Self.pipelined.utf8.count
        for cut in 0...count {
            let result = parse(Self.pipelined, cuts: [cut])
            #expect(result.error == nil, "cut at \(cut)")
            Self.checkPipelined(result.requests)
        }
    }

    @Test func pipelinedRequestsFedOneByteAtATime() {
        let result = parse(Self.pipelined, cuts: Array(0...Self.pipelined.utf8.count))
        #expect(result.error == nil)
        Self.checkPipelined(result.requests)
    }

    @Test func phaseTracksHeadAndBody() {
        var parser = HTTPParser()
        #expect(parser.phase == .idle)
        parser.append(Array("GET / HT".utf8))
        _ = parser.next()
        #expect(parser.phase == .head)
        parser.append(Array("TP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab".utf8))
        _ = parser.next()
        #expect(parser.phase == .body)
        parser.append(Array("cd".utf8))
        guard case .request(let request) = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == Array("abcd".utf8))
        #expect(parser.phase == .idle)
        #expect(parser.buffer.capacity == 0)
    }

    @Test func leadingEmptyLinesAreSkippedAndHTTP10DefaultsToClose() {
        let result = parse("\r\n\r\nGET / HTTP/1.0\r\n\r\n")
        #expect(result.error == nil)
        #expect(result.requests.count == 1)
        #expect(result.requests.first?.keepAlive == false)
    }

    @Test func expectContinueIsReportedOnce() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
        let result = parse(input + "abc", cuts: [input.utf8.count, input.utf8.count + 1])
        #expect(result.continues == 1)
        #expect(result.requests.first?.body == Array("abc".utf8))
    }

    @Test func identicalRepeatedContentLengthIsAccepted() {
        let result = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok")
        #expect(result.error == nil)
        #expect(result.requests.first?.body == Array("ok".utf8))
    }

    @Test func bodyMethodWithoutLengthIsAcceptedWhenNotRequired() {
        var limits = HTTPParser.Limits()
        limits.requireLengthForBodyMethods = false
        let result = parse("POST / HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits)
        #expect(result.error == nil)
        #expect(result.requests.first?.body == [])
    }

    static let malformed: [(String, HTTPParseError)] = [
        ("GET /\r\n\r\n", .invalidRequestLine),
        ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", .invalidMethod),
        ("GET /\u{7F} HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET /%zz HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET * HTTP/1.1\r\nHost: h\r\n\r\n", .invalidTarget),
        ("GET / HTTX/1.1\r\nHost: h\r\n\r\n", .invalidVersion),
        ("GET / HTTP/1.10\r\nHost: h\r\n\r\n", .invalidVersion),
        ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/0.9\r\nHost: h\r\n\r\n", .unsupportedVersion),
        ("GET / HTTP/1.1\nHost: h\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: h\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", .bareLineFeed),
        ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", .invalidHeader),
        ("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", .invalidHeader),
        ("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", .invalidHeader),
        ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{01}b\r\n\r\n", .invalidHeader),
        ("GET / HTTP/1.1\r\n\r\n", .invalidHost),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .invalidHost),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", .invalidContentLength),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .unsupportedTransferCoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", .invalidTransferEncoding),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunk),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\n", .invalidChunk),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", .invalidChunk),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", .invalidChunk),
        ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", .invalidHeader),
        ("POST / HTTP/1.1\r\nHost: h\r\n\r\n", .lengthRequired),
        ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9999999999\r\n\r\n", .bodyTooLarge),
    ]

    @Test(arguments: malformed)
    func malformedRequestIsRefused(input: String, expected: HTTPParseError) {
        let result = parse(input)
        #expect(result.error == expected)
        #expect(result.requests.isEmpty)
        // Refused the same way when fed one byte at a time.
        #expect(parse(input, cuts: Array(0...input.utf8.count)).error == expected)
    }

    @Test func errorsMapToStatuses() {
        #expect(HTTPParseError.invalidHeader.status.code == 400)
        #expect(HTTPParseError.headTimeout.status.code == 408)
        #expect(HTTPParseError.lengthRequired.status.code == 411)
        #expect(HTTPParseError.bodyTooLarge.status.code == 413)
        #expect(HTTPParseError.requestLineTooLong.status.code == 414)
        #expect(HTTPParseError.tooManyHeaders.status.code == 431)
        #expect(HTTPParseError.unsupportedTransferCoding.status.code == 501)
        #expect(HTTPParseError.unsupportedVersion.status.code == 505)
    }

    @Test func limitsAreEnforcedAtTheirBoundary() {
        var limits = HTTPParser.Limits()
        limits.maxRequestLineLength = 20
        limits.maxHeaderCount = 2
        limits.maxHeaderBytes = 40
        limits.maxBodyBytes = 4
        // "GET /123456 HTTP/1.1" is exactly 20 bytes.
        #expect(parse("GET /123456 HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits).error == nil)
        #expect(parse("GET /1234567 HTTP/1.1\r\nHost: h\r\n\r\n", limits: limits).error == .requestLineTooLong)
        // Without a line end, refused as soon as the limit is passed.
        #expect(parse("GET /1234567890123456789", limits: limits).error == .requestLineTooLong)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", limits: limits).error == nil)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).error == .tooManyHeaders)
        #expect(parse("GET / HTTP/1.1\r\nHost: h\r\nA: \(String(repeating: "x", count: 40))\r\n\r\n", limits: limits).error == .headersTooLarge)
        #expect(parse("GET / HTTP/1.1\r\nHost: \(String(repeating: "x", count: 60))", limits: limits).error == .headersTooLarge)
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nabcd", limits: limits).error == nil)
        #expect(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", limits: limits).error == .bodyTooLarge)
        let chunked = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parse(chunked + "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", limits: limits).error == nil)
        #expect(parse(chunked + "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", limits: limits).error == .bodyTooLarge)
    }

    @Test func failedParserStaysFailed() {
        var parser = HTTPParser()
        parser.append(Array("BAD\r\n".utf8))
        guard case .failure(.invalidRequestLine) = parser.next() else {
            Issue.record("expected failure")
            return
        }
        parser.append(Array("GET / HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        guard case .failure = parser.next() else {
            Issue.record("expected the parser to stay failed")
            return
        }
        #expect(parser.phase == .failed)
    }
}
