import DealCardKit
import SyncProtocol

/// A change the relay refused, kept with its reason: visible, never silently dropped.
public struct QuarantinedChange: Sendable, Equatable {
    public var ref: ChangeRef
    public var blob: [UInt8]
    /// The relay's refusal code, or the device's own (`depends_on_refused`).
    public var code: RefusalCode
    public var reason: String
    public var at: Int64
}
