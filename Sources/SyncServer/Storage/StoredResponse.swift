/// The response to an integration write, kept under its idempotency key so a retried
/// request gets the same answer instead of writing twice.
public struct StoredResponse: Sendable, Hashable {
    /// The HTTP status code that was sent.
    public var status: Int
    /// The body bytes that were sent.
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}
