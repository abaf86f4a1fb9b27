import DealCardKit
import Foundation

/// A deal the relay knows: which dealership it belongs to and which buyer it is for.
///
/// Reading rights follow from it: staff of the dealership reach its deals, and a buyer
/// reaches exactly the deals whose ``buyerUser`` is his.
public struct DealRecord: Sendable, Hashable {
    /// The deal's id, as devices name it.
    public var id: DealID
    /// The dealership the deal belongs to.
    public var dealership: String
    /// The buyer's user name, once a buyer is attached to the deal.
    public var buyerUser: String?
    /// When the deal was registered (stored to the millisecond).
    public var createdAt: Date
    /// The user who registered the deal.
    public var createdBy: String

    public init(id: DealID, dealership: String, buyerUser: String? = nil, createdAt: Date, createdBy: String) {
        self.id = id
        self.dealership = dealership
        self.buyerUser = buyerUser
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}
