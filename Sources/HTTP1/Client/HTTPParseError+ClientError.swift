/// How the client reports an answer its parser refused.
extension HTTPParseError {
    /// A cut answer is ``HTTPClientError/unreachable(_:)`` (retrying may succeed), any other
    /// failure ``HTTPClientError/badResponse(_:)``, told from the client's side.
    func clientError(maxResponseBytes: Int) -> HTTPClientError {
        switch self {
        case .incompleteMessage:
            return .unreachable("the server closed the connection before the answer was complete")
        case .bodyTooLarge:
            return .badResponse("the answer is larger than \(maxResponseBytes) bytes")
        default:
            return .badResponse(answerProblem)
        }
    }

    /// What was wrong with the answer, in a few words.
    private var answerProblem: String {
        switch self {
        case .invalidStatusLine, .invalidVersion: "not an HTTP/1.x status line"
        case .unsupportedVersion: "the server answered in an HTTP version other than 1.x"
        case .bareLineFeed: "a line of the answer does not end in CRLF"
        case .invalidHeader: "a malformed header field (no colon, whitespace before it, folding or a control character)"
        case .contentLengthWithTransferEncoding: "both Content-Length and Transfer-Encoding"
        case .invalidContentLength: "a malformed Content-Length, or several that differ"
        case .invalidTransferEncoding: "Transfer-Encoding is not chunked once over HTTP/1.1"
        case .unsupportedTransferCoding: "a transfer coding other than chunked"
        case .invalidChunk: "a malformed chunked body"
        case .tooManyHeaders: "too many header fields"
        case .headersTooLarge: "the header section is too large"
        case .unexpectedInterimResponse: "101 Switching Protocols, or too many interim (1xx) answers"
        case .bodyTooLarge: "the answer is too large"
        case .incompleteMessage: "the answer was cut short"
        // A response parser fails with none of these; named rather than hidden in a default.
        case .invalidRequestLine, .invalidMethod, .invalidTarget, .invalidHost, .lengthRequired,
             .requestLineTooLong, .headTimeout, .bodyTimeout:
            "refused by the parser (\(self))"
        }
    }
}
