/// Why a request was refused before reaching the handler.
///
/// Each case maps to one response status (``status``) and a short plain-text message
/// (``message``) that tells the client what to fix. After any of these the server
/// closes the connection: the framing of what follows can no longer be trusted.
public enum HTTPParseError: Error, Sendable, Equatable {
    /// The request line is not `method SP request-target SP HTTP-version CRLF`. (400)
    case invalidRequestLine
    /// The method is not a token. (400)
    case invalidMethod
    /// The request-target has invalid characters, a form this server does not serve,
    /// or malformed percent-encoding. (400)
    case invalidTarget
    /// The HTTP-version is not `HTTP/DIGIT.DIGIT`. (400)
    case invalidVersion
    /// The version is well-formed but not HTTP/1.x. (505)
    case unsupportedVersion
    /// A line ended in a bare LF, or a CR was not followed by LF. This server requires
    /// CRLF everywhere (RFC 9112 §2.2 permits either choice; CRLF-only closes the door on
    /// request smuggling through parsers that disagree). (400)
    case bareLineFeed
    /// A header line is not `field-name ":" OWS field-value OWS`, has whitespace before
    /// the colon, is an obsolete line folding, or has a control character. (400)
    case invalidHeader
    /// An HTTP/1.1 request without exactly one `Host` field (RFC 9112 §3.2). (400)
    case invalidHost
    /// Both `Content-Length` and `Transfer-Encoding` are present (RFC 9112 §6.1). (400)
    case contentLengthWithTransferEncoding
    /// `Content-Length` is not a decimal number, or several differ. (400)
    case invalidContentLength
    /// `Transfer-Encoding` does not end with `chunked`, repeats it, or is sent in an
    /// HTTP/1.0 request. (400)
    case invalidTransferEncoding
    /// A transfer coding other than `chunked` (`gzip`, ...). (501)
    case unsupportedTransferCoding
    /// A chunk-size line, chunk terminator or trailer section is malformed. (400)
    case invalidChunk
    /// A POST, PUT or PATCH without `Content-Length` or `Transfer-Encoding`, refused
    /// when ``HTTPServerConfiguration/requireLengthForBodyMethods`` is set. (411)
    case lengthRequired
    /// The body exceeds ``HTTPServerConfiguration/maxBodyBytes``. (413)
    case bodyTooLarge
    /// The request line exceeds ``HTTPServerConfiguration/maxRequestLineLength``. (414)
    case requestLineTooLong
    /// More header fields than ``HTTPServerConfiguration/maxHeaderCount``. (431)
    case tooManyHeaders
    /// The header section exceeds ``HTTPServerConfiguration/maxHeaderBytes``. (431)
    case headersTooLarge
    /// The request head did not arrive within ``HTTPServerConfiguration/requestHeadTimeout``. (408)
    case headTimeout
    /// The body did not arrive within ``HTTPServerConfiguration/requestBodyTimeout``. (408)
    case bodyTimeout

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
        }
    }
}
