import DealCardKit

/// A deal of a dealership, as a set element (the storages' bookkeeping of the deals an
/// append touches).
struct DealKey: Hashable, Comparable {
    var dealership: String
    var deal: DealID

    static func < (lhs: DealKey, rhs: DealKey) -> Bool { (lhs.dealership, lhs.deal) < (rhs.dealership, rhs.deal) }
}
