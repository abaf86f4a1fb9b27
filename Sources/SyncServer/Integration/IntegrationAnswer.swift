import SyncProtocol
import CRDT
import DealCardKit

/// The 200 answer to an integration write: `{"change", "cursor", "deal"}`.
struct IntegrationAnswer: Encodable {
    /// The change the relay wrote as its own replica.
    struct Change: Encodable {
        /// `shared` or `staff`.
        var document: DealDocumentKind
        /// The relay's replica id, 16 hex digits.
        var replica: String
        var seq: UInt64
    }

    var deal: DealID
    /// Nil when the request changed nothing (clearing fields that were not set).
    var change: Change?
    /// The relay log position of the change (the latest position when nothing was written).
    var cursor: LogPosition

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(deal, forKey: .deal)
        try container.encode(change, forKey: .change)  // an explicit null, not a missing key
        try container.encode(cursor, forKey: .cursor)
    }

    enum CodingKeys: String, CodingKey { case deal, change, cursor }
}
