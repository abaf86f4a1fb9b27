import DealCardKit
import SyncProtocol

/// One log entry's position and document, without its bytes
/// (``RelayStorage/documentsChanged(after:)``).
public struct ChangedDocument: Sendable, Hashable {
    public var position: LogPosition
    public var dealership: String
    public var deal: DealID
    public var document: DealDocumentKind

    public init(position: LogPosition, dealership: String, deal: DealID, document: DealDocumentKind) {
        self.position = position
        self.dealership = dealership
        self.deal = deal
        self.document = document
    }
}
