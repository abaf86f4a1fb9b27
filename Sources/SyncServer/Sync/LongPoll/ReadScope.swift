import DealCardKit

/// What a token may read, as far as its sync answers go: its dealership, which of its
/// deals, and which of their documents.
///
/// Two tokens with the same scope get the same answer for the same cursor and limit
/// (``Relay/pull(after:token:limit:snapshotsAfter:bootstrapCursor:)`` reads nothing else of
/// the token), which is what lets woken long-polls share one answer. It follows
/// ``Relay/canSee(_:_:)`` and ``Relay/readableKinds(_:)``; keep the three in step
/// (`TargetedFanOutTests` checks ``includes(_:)`` against `canSee` over a table).
struct ReadScope: Hashable, Sendable {
    /// Which deals of the dealership.
    enum Deals: Hashable, Sendable {
        /// Every deal (staff roles, head, relay tokens).
        case all
        /// The deals whose buyer is this user (a buyer token).
        case buyer(String)
        /// One deal, named by the token's deal scope as issued (a scope that is not a deal
        /// id reaches no deal, since no deal has that id).
        case deal(String)
    }

    var dealership: String
    var deals: Deals
    /// The documents of those deals it reads (a buyer never reads `staff`).
    var documents: Set<DealDocumentKind>

    init(dealership: String, deals: Deals, documents: Set<DealDocumentKind>) {
        self.dealership = dealership
        self.deals = deals
        self.documents = documents
    }

    /// The scope of `token`, reading `documents` (``Relay/readableKinds(_:)``).
    init(token: TokenRecord, documents: Set<DealDocumentKind>) {
        dealership = token.dealership
        if let scope = token.deal {
            deals = .deal(scope)
        } else if token.role == .buyer && !token.isRelay {
            deals = .buyer(token.user)
        } else {
            deals = .all
        }
        self.documents = documents
    }

    /// Whether the scope reaches `deal` (the same rule as ``Relay/canSee(_:_:)``).
    func includes(_ deal: DealRecord) -> Bool {
        guard deal.dealership == dealership else { return false }
        switch deals {
        case .all: return true
        case .buyer(let user): return deal.buyerUser == user
        case .deal(let scope): return scope == deal.id.rawValue
        }
    }
}
