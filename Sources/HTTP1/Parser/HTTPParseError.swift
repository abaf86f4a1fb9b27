/// Why ``HTTPParser`` refused a message: a request before it reached the handler, or a
/// response before the client returned it.
///
/// The server answers each request case with one status (``status``, named in each case
/// as "(400)") and a short plain-text message (``message``) that tells the client what to
/// fix; the client turns every case into an ``HTTPClientError``. After any of these the
/// connection is closed: the framing of what follows can no longer be trusted.
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
    /// The body exceeds ``HTTPServerConfiguration/maxBodyBytes`` (for a response, the
    /// client's ``SocketHTTPClient/maxResponseBytes``). (413)
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
    /// Responses: the status line is not `HTTP-version SP 3DIGIT SP reason-phrase` with a
    /// status within 100...599, or is longer than the start-line limit. (502)
    case invalidStatusLine
    /// Responses: a `101 Switching Protocols`, which no request of this client asks for,
    /// or more than ``HTTPParser/maxInterimResponses`` interim (1xx) answers. (502)
    case unexpectedInterimResponse
    /// Responses: the connection closed before the answer was complete — in its status
    /// line or head, or short of its `Content-Length` or last chunk. (502)
    case incompleteMessage
}
