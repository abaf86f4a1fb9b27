import DealCardKit
import Foundation

/// The long-polls waiting for news, indexed by what they may read, so that a commit finds
/// exactly the ones that can see one of its entries without looking at any other.
///
/// A value with no I/O and no clock (the relay keeps one in ``RelaySyncState``): a commit's
/// entries go in, the waiters to wake come out. Waiters are filed by dealership, then by
/// their ``ReadScope/Deals`` (every deal, a buyer's deals, one deal), then by the documents
/// they read:
///
/// - an entry of (dealership, deal, document) wakes the waiters of that dealership that read
///   every deal, those scoped to that deal, and those of the deal's buyer, each only when
///   its documents include the entry's (a buyer never reads `staff`);
/// - the deal's buyer is asked of the caller, and only when buyers of that dealership wait.
///
/// - Complexity: ``insert(_:id:scope:)`` and ``remove(_:)`` O(1);
///   ``takeWoken(by:buyer:)`` O(entries + woken), whatever else waits.
struct LongPollIndex<Waiter> {
    /// What the caller knows of a deal's buyer.
    enum DealBuyer {
        /// The deal's buyer is this user.
        case user(String)
        /// The deal has no buyer (or is unknown to the store): no buyer sees it.
        case none
        /// The store could not be read: every buyer of the dealership is woken (a spurious
        /// wake-up costs an empty answer; a missed one, a change seen late).
        case unknown
    }

    /// Waiters by the documents they read.
    private typealias ByDocuments = [Set<DealDocumentKind>: [UUID: Waiter]]

    /// The waiters of one dealership.
    private struct Dealership {
        var all: ByDocuments = [:]
        var buyers: [String: ByDocuments] = [:]
        var deals: [String: ByDocuments] = [:]

        var isEmpty: Bool { all.isEmpty && buyers.isEmpty && deals.isEmpty }

        /// Runs `body` on the waiters of `deals` in place, dropping an emptied entry.
        mutating func withGroups<Result>(_ deals: ReadScope.Deals, _ body: (inout ByDocuments) -> Result) -> Result {
            switch deals {
            case .all:
                return body(&all)
            case .buyer(let user):
                defer { if self.buyers[user]?.isEmpty == true { self.buyers[user] = nil } }
                return body(&self.buyers[user, default: [:]])
            case .deal(let id):
                defer { if self.deals[id]?.isEmpty == true { self.deals[id] = nil } }
                return body(&self.deals[id, default: [:]])
            }
        }
    }

    private var dealerships: [String: Dealership] = [:]
    /// Where each waiter is filed.
    private var scopes: [UUID: ReadScope] = [:]

    /// Waiters filed now.
    var count: Int { scopes.count }

    /// Files `waiter` under `id`, which must be new.
    mutating func insert(_ waiter: Waiter, id: UUID, scope: ReadScope) {
        precondition(scopes[id] == nil, "a long-poll is filed once")
        scopes[id] = scope
        dealerships[scope.dealership, default: Dealership()].withGroups(scope.deals) { groups in
            groups[scope.documents, default: [:]][id] = waiter
        }
    }

    /// Takes out the waiter filed under `id`, if it still waits.
    mutating func remove(_ id: UUID) -> Waiter? {
        guard let scope = scopes.removeValue(forKey: id) else { return nil }
        defer { if dealerships[scope.dealership]?.isEmpty == true { dealerships[scope.dealership] = nil } }
        return dealerships[scope.dealership]?.withGroups(scope.deals) { groups in
            defer { if groups[scope.documents]?.isEmpty == true { groups[scope.documents] = nil } }
            return groups[scope.documents]?.removeValue(forKey: id)
        }
    }

    /// Takes out every waiter that may read one of `committed`: the long-polls a commit of
    /// those entries wakes. `buyer` is asked at most once per committed document, and only
    /// when buyers of its dealership wait.
    mutating func takeWoken(by committed: some Sequence<RelayDocumentCache.Key>,
                            buyer: (_ dealership: String, _ deal: DealID) -> DealBuyer) -> [Waiter] {
        var woken: [Waiter] = []
        var seen: Set<RelayDocumentCache.Key> = []
        for key in committed where seen.insert(key).inserted {
            guard var dealership = dealerships.removeValue(forKey: key.dealership) else { continue }
            take(.all, reading: key.document, from: &dealership, into: &woken)
            take(.deal(key.deal.rawValue), reading: key.document, from: &dealership, into: &woken)
            if !dealership.buyers.isEmpty {
                switch buyer(key.dealership, key.deal) {
                case .user(let user): take(.buyer(user), reading: key.document, from: &dealership, into: &woken)
                case .none: break
                case .unknown:
                    for user in Array(dealership.buyers.keys) {
                        take(.buyer(user), reading: key.document, from: &dealership, into: &woken)
                    }
                }
            }
            if !dealership.isEmpty { dealerships[key.dealership] = dealership }
        }
        return woken
    }

    /// Takes out every waiter (the relay is closing).
    mutating func takeAll() -> [Waiter] {
        var all: [Waiter] = []
        for dealership in dealerships.values {
            for groups in [dealership.all] + Array(dealership.buyers.values) + Array(dealership.deals.values) {
                for waiters in groups.values { all.append(contentsOf: waiters.values) }
            }
        }
        dealerships = [:]
        scopes = [:]
        return all
    }

    /// Moves the waiters of `deals` that read `document` into `woken`.
    private mutating func take(_ deals: ReadScope.Deals, reading document: DealDocumentKind, from dealership: inout Dealership,
                               into woken: inout [Waiter]) {
        let taken: [[UUID: Waiter]] = dealership.withGroups(deals) { groups in
            let matching = groups.keys.filter { $0.contains(document) }
            return matching.compactMap { groups.removeValue(forKey: $0) }
        }
        for waiters in taken {
            for (id, waiter) in waiters {
                scopes[id] = nil
                woken.append(waiter)
            }
        }
    }
}
