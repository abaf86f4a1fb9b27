import CRDT
import DealCardKit

/// A change a store's observers are told about.
public struct StoreEvent: Sendable, Equatable {
    public enum Origin: String, Sendable {
        /// Made on this device.
        case local
        /// Received from a relay.
        case remote
    }

    public var deal: DealID
    public var document: DealDocumentKind
    public var changes: [ChangeID]
    public var origin: Origin
}
