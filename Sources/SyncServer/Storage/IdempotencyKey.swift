/// Where an integration write's answer is kept: the connector's dealership and user, and
/// the `Idempotency-Key` it sent.
///
/// The three parts are stored as separate columns, so two dealerships whose connectors have
/// the same user name (`crm`) and happen to send the same key never share an answer.
public struct IdempotencyKey: Sendable, Hashable {
    /// The dealership of the token that wrote.
    public var dealership: String
    /// The user of the token that wrote (the connector).
    public var user: String
    /// The `Idempotency-Key` header's value, 1–255 bytes.
    public var key: String

    public init(dealership: String, user: String, key: String) {
        self.dealership = dealership
        self.user = user
        self.key = key
    }
}
