/// The response to an integration write, kept under its ``IdempotencyKey`` so a retried
/// request gets the same answer instead of writing twice.
public struct StoredResponse: Sendable, Hashable {
    /// The HTTP status code that was sent.
    public var status: Int
    /// The body bytes that were sent.
    public var body: [UInt8]
    /// The SHA-256 of the request this answers (method, path and body), so that the same key
    /// sent with another request is refused rather than answered with this; nil for answers
    /// stored before the relay kept digests, which any request under their key gets back.
    public var requestDigest: [UInt8]?

    public init(status: Int, body: [UInt8], requestDigest: [UInt8]? = nil) {
        self.status = status
        self.body = body
        self.requestDigest = requestDigest
    }
}
