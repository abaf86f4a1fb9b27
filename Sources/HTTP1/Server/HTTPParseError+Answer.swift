/// How the server answers a request the parser refused.
extension HTTPParseError {
    /// The status the server answers with.
    public var status: HTTPStatus {
        switch self {
        case .invalidRequestLine, .invalidMethod, .invalidTarget, .invalidVersion, .bareLineFeed,
             .invalidHeader, .invalidHost, .contentLengthWithTransferEncoding, .invalidContentLength,
             .invalidTransferEncoding, .invalidChunk:
            .badRequest
        case .unsupportedVersion: .httpVersionNotSupported
        case .unsupportedTransferCoding: .notImplemented
        case .lengthRequired: .lengthRequired
        case .bodyTooLarge: .contentTooLarge
        case .requestLineTooLong: .uriTooLong
        case .tooManyHeaders, .headersTooLarge: .requestHeaderFieldsTooLarge
        case .headTimeout, .bodyTimeout: .requestTimeout
        // Only the client's response parser fails so; a gateway relaying such an answer says 502.
        case .invalidStatusLine, .unexpectedInterimResponse, .incompleteMessage: .badGateway
        }
    }

    /// A one-line explanation for the client, ending in a newline.
    public var message: String {
        switch self {
        case .invalidRequestLine: "Malformed request line: expected 'METHOD /target HTTP/1.1' ending in CRLF.\n"
        case .invalidMethod: "Malformed method: it must be a token such as GET or POST.\n"
        case .invalidTarget: "Malformed request target: send an origin-form path like /a/b?c=d with valid percent-encoding.\n"
        case .invalidVersion: "Malformed HTTP version: expected HTTP/1.1.\n"
        case .unsupportedVersion: "Only HTTP/1.0 and HTTP/1.1 are supported.\n"
        case .bareLineFeed: "Lines must end in CRLF; a bare LF or CR was found.\n"
        case .invalidHeader: "Malformed header field: expected 'Name: value' without folding or control characters.\n"
        case .invalidHost: "An HTTP/1.1 request needs exactly one Host header.\n"
        case .contentLengthWithTransferEncoding: "Send either Content-Length or Transfer-Encoding, not both.\n"
        case .invalidContentLength: "Content-Length must be one decimal number.\n"
        case .invalidTransferEncoding: "Transfer-Encoding must end with chunked, once, and needs HTTP/1.1.\n"
        case .unsupportedTransferCoding: "Only the chunked transfer coding is supported.\n"
        case .invalidChunk: "Malformed chunked body.\n"
        case .lengthRequired: "This method needs a body length: send Content-Length or Transfer-Encoding: chunked.\n"
        case .bodyTooLarge: "The request body is too large.\n"
        case .requestLineTooLong: "The request line is too long.\n"
        case .tooManyHeaders: "Too many header fields.\n"
        case .headersTooLarge: "The header section is too large.\n"
        case .headTimeout: "The request head took too long to arrive.\n"
        case .bodyTimeout: "The request body took too long to arrive.\n"
        case .invalidStatusLine: "The upstream answer has a malformed status line.\n"
        case .unexpectedInterimResponse: "The upstream answer switched protocols or sent too many interim answers.\n"
        case .incompleteMessage: "The upstream connection closed before its answer was complete.\n"
        }
    }
}
