import Testing
@testable import HTTP1

/// Feeds `input` to a response parser in pieces cut at `cuts`; when no response came of
/// them and `closed` is set, tells the parser the connection closed. Collects every
/// response and the failure, if any.
private func parseResponses(
    _ input: String, to method: String = "GET", cuts: [Int] = [], limits: HTTPParser.Limits = .init(), closed: Bool = true
) -> (responses: [HTTPParser.Response], error: HTTPParseError?) {
    var parser = HTTPParser(mode: .responses(toMethod: method), limits: limits)
    let bytes = Array(input.utf8)
    var responses: [HTTPParser.Response] = []
    var start = 0
    for end in cuts + [bytes.count] where end >= start {
        parser.append(bytes[start..<end])
        start = end
        loop: while true {
            switch parser.nextResponse() {
            case .needMoreData: break loop
            case .response(let response): responses.append(response)
            case .failure(let error): return (responses, error)
            }
        }
    }
    if closed, responses.isEmpty {
        switch parser.finish() {
        case .success(let response): responses.append(response)
        case .failure(let error): return (responses, error)
        }
    }
    return (responses, nil)
}

/// Every way of feeding `input`: in one piece, one byte at a time, and cut once at every offset.
private func everyFeeding(_ input: String) -> [[Int]] {
    let count = input.utf8.count
    return [[], Array(0...count)] + (0...count).map { [$0] }
}

@Suite struct HTTPResponseParsingTests {
    // MARK: Status line

    static let statusLines: [(String, Int, String)] = [
        ("HTTP/1.1 200 OK", 200, "OK"),
        ("HTTP/1.1 404 Not Found Here", 404, "Not Found Here"),
        ("HTTP/1.1 503 ", 503, ""),
        ("HTTP/1.1 503", 503, ""),
        ("HTTP/1.0 302 Found\tthere  ", 302, "Found\tthere  "),
        ("HTTP/1.1 599 \u{E9}t\u{E9}", 599, "\u{E9}t\u{E9}"),
    ]

    @Test(arguments: statusLines)
    func statusLineFormsAreRead(line: String, status: Int, reason: String) {
        let input = line + "\r\nContent-Length: 2\r\n\r\nok"
        for cuts in everyFeeding(input) {
            let result = parseResponses(input, cuts: cuts, closed: false)
            #expect(result.error == nil, "cuts \(cuts)")
            #expect(result.responses.map(\.status) == [status])
            #expect(result.responses.first?.reason == reason)
            #expect(result.responses.first?.body == Array("ok".utf8))
        }
    }

    static let malformed: [(String, HTTPParseError)] = [
        ("HTTP/1.1 abc OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 20 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 2000 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 099 Low\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 600 High\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1  200 OK\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1 200 O\u{01}K\r\n\r\n", .invalidStatusLine),
        ("HTTP/1.1\r\n\r\n", .invalidStatusLine),
        ("\r\nHTTP/1.1 200 OK\r\n\r\n", .invalidStatusLine),
        ("SSH-2.0-OpenSSH_9.6\r\n", .invalidStatusLine),
        ("<!DOCTYPE html>\r\n", .invalidVersion),
        ("HTTP/2 200 OK\r\n\r\n", .invalidVersion),
        ("HTTP/2.0 200 OK\r\n\r\n", .unsupportedVersion),
        ("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\n\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", .bareLineFeed),
        ("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", .invalidHeader),
        ("HTTP/1.1 200 OK\r\nX : a\r\n\r\n", .invalidHeader),
        ("HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", .invalidHeader),
        ("HTTP/1.1 200 OK\r\nX: a\u{7F}\r\n\r\n", .invalidHeader),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n", .invalidContentLength),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", .contentLengthWithTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", .unsupportedTransferCoding),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .invalidTransferEncoding),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .invalidChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .invalidChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", .invalidChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nbad trailer\r\n\r\n", .invalidHeader),
        ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", .unexpectedInterimResponse),
    ]

    @Test(arguments: malformed)
    func malformedResponseIsRefused(input: String, expected: HTTPParseError) {
        let whole = parseResponses(input)
        #expect(whole.error == expected)
        #expect(whole.responses.isEmpty)
        #expect(parseResponses(input, cuts: Array(0...input.utf8.count)).error == expected)
    }

    // MARK: Framing

    static let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n"
        + "5;name=value;flag\r\nhello\r\n6 ; ext\r\n world\r\nA\r\n, 0123456.\r\n0\r\nTrailer-One: t\r\nTrailer-Two: u\r\n\r\n"

    @Test func chunkedBodyWithExtensionsAndTrailersIsDecoded() {
        for cuts in everyFeeding(Self.chunked) {
            let result = parseResponses(Self.chunked, cuts: cuts, closed: false)
            #expect(result.error == nil, "cuts \(cuts)")
            #expect(result.responses.first?.body == Array("hello world, 0123456.".utf8))
            #expect(result.responses.first?.headers.values(for: "X-MULTI") == ["1", "2"])
            // Trailer fields are checked, then dropped.
            #expect(result.responses.first?.headers.contains("Trailer-One") == false)
        }
    }

    @Test func contentLengthBodyIsReadWithoutWaitingForTheClose() {
        let input = "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\nhello"
        for cuts in everyFeeding(input) {
            let result = parseResponses(input, cuts: cuts, closed: false)
            #expect(result.error == nil, "cuts \(cuts)")
            #expect(result.responses.map(\.body) == [Array("hello".utf8)])
        }
    }

    @Test(arguments: [
        ("GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
        ("GET", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"),
        ("HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"),
        ("HEAD", "HTTP/1.1 200 OK\r\n\r\n"),
        ("CONNECT", "HTTP/1.1 200 Connection Established\r\n\r\n"),
    ])
    func answersWithoutABodyEndAtTheHead(method: String, input: String) {
        // Complete before any body byte and before the close.
        let result = parseResponses(input, to: method, closed: false)
        #expect(result.error == nil)
        #expect(result.responses.count == 1)
        #expect(result.responses.first?.body == [])
    }

    @Test func interimAnswersAreSkipped() {
        let input = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        for cuts in everyFeeding(input) {
            let result = parseResponses(input, cuts: cuts, closed: false)
            #expect(result.error == nil, "cuts \(cuts)")
            #expect(result.responses.map(\.status) == [200])
            #expect(result.responses.first?.headers.contains("Link") == false)
        }
    }

    @Test func aFewInterimAnswersAreSkippedButNotEndlessly() {
        let interim = String(repeating: "HTTP/1.1 100 Continue\r\n\r\n", count: HTTPParser.maxInterimResponses)
        let final = "HTTP/1.1 204 No Content\r\n\r\n"
        #expect(parseResponses(interim + final).responses.map(\.status) == [204])
        #expect(parseResponses(interim + "HTTP/1.1 100 Continue\r\n\r\n" + final).error == .unexpectedInterimResponse)
    }

    @Test func aResponseNeedsNoHostAndNeverAsksForContinue() {
        let head = "HTTP/1.1 200 OK\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
        let result = parseResponses(head + "ok", cuts: [head.utf8.count], closed: false)
        #expect(result.error == nil)
        #expect(result.responses.map(\.body) == [Array("ok".utf8)])
    }

    @Test(arguments: [
        ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it, until the close", "all of it, until the close"),
        ("HTTP/1.0 200 OK\r\n\r\n", ""),
        ("HTTP/1.1 500 Oops\r\nConnection: close\r\n\r\nx", "x"),
    ])
    func withoutFramingTheBodyRunsUntilTheClose(input: String, body: String) {
        for cuts in everyFeeding(input) {
            #expect(parseResponses(input, cuts: cuts, closed: false).responses.isEmpty, "nothing before the close")
            let result = parseResponses(input, cuts: cuts)
            #expect(result.error == nil, "cuts \(cuts)")
            #expect(result.responses.map(\.body) == [Array(body.utf8)])
        }
    }

    // MARK: Cut answers and limits

    @Test(arguments: [
        "",
        "HTTP/1.1 2",
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTrailer: t\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
    ])
    func anAnswerCutBeforeItsEndIsIncomplete(input: String) {
        for cuts in everyFeeding(input) {
            let result = parseResponses(input, cuts: cuts)
            #expect(result.error == .incompleteMessage, "cuts \(cuts)")
            #expect(result.responses.isEmpty)
        }
    }

    @Test func theBodyLimitHoldsInEveryFraming() {
        let limits = HTTPParser.Limits(maxBodyBytes: 4)
        #expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", limits: limits).error == nil)
        // Refused from the head alone, before any body byte.
        #expect(parseResponses("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", limits: limits, closed: false).error == .bodyTooLarge)
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(parseResponses(chunked + "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", limits: limits).error == nil)
        #expect(parseResponses(chunked + "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", limits: limits).error == .bodyTooLarge)
        let untilClose = "HTTP/1.1 200 OK\r\n\r\n"
        for cuts in everyFeeding(untilClose + "abcd") {
            #expect(parseResponses(untilClose + "abcd", cuts: cuts, limits: limits).error == nil)
        }
        for cuts in everyFeeding(untilClose + "abcde") {
            #expect(parseResponses(untilClose + "abcde", cuts: cuts, limits: limits).error == .bodyTooLarge)
        }
    }

    @Test func headerLimitsAreTheServers() {
        let limits = HTTPParser.Limits(maxRequestLineLength: 20, maxHeaderCount: 2, maxHeaderBytes: 40)
        // "HTTP/1.1 200 OKAYOKA" is exactly 20 bytes.
        #expect(parseResponses("HTTP/1.1 200 OKAYOKA\r\n\r\n", limits: limits).error == nil)
        #expect(parseResponses("HTTP/1.1 200 OKAYOKAY\r\n\r\n", limits: limits).error == .invalidStatusLine)
        #expect(parseResponses("HTTP/1.1 200 OKAYOKAYOKAYOKAY", limits: limits, closed: false).error == .invalidStatusLine)
        #expect(parseResponses("HTTP/1.1 204 No\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits).error == nil)
        #expect(parseResponses("HTTP/1.1 204 No\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits).error == .tooManyHeaders)
        #expect(parseResponses("HTTP/1.1 204 No\r\nA: \(String(repeating: "x", count: 40))\r\n\r\n", limits: limits).error == .headersTooLarge)
    }

    @Test func aFailedResponseParserStaysFailed() {
        var parser = HTTPParser(mode: .responses(toMethod: "GET"))
        parser.append(Array("HTTP/1.1 abc\r\n".utf8))
        guard case .failure(.invalidStatusLine) = parser.nextResponse() else {
            Issue.record("expected failure")
            return
        }
        parser.append(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
        #expect(parser.finish() == .failure(.invalidStatusLine))
        #expect(parser.phase == .failed)
    }
}
