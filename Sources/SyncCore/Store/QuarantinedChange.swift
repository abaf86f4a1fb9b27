import SyncProtocol

/// A change the relay refused, kept with its reason: visible, never silently dropped.
public struct QuarantinedChange: Sendable, Equatable {
    public var ref: ChangeRef
    public var blob: [UInt8]
    /// The relay's error code (`permission`, `invalid_value`, …).
    public var code: String
    public var reason: String
    public var at: Int64
}
