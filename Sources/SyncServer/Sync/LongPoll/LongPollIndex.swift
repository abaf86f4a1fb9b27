import DealCardKit
import Foundation
import SyncProtocol

/// The long-polls waiting for news, indexed by what they may read, so that a commit finds
/// exactly the ones that can see one of its entries without looking at any other.
///
/// A value with no I/O and no clock (the relay keeps one in ``RelaySyncState``): a commit's
/// entries go in, the waiters to wake come out. Waiters are filed by dealership, then by
/// their ``ReadScope/Deals`` (every deal, a buyer's deals, one deal), then by the documents
/// they read, then by their ``Shape`` (the cursor and limit their answer is read at):
///
/// - an entry of (dealership, deal, document) wakes the waiters of that dealership that read
///   every deal, those scoped to that deal, and those of the deal's buyer, each only when
///   its documents include the entry's (a buyer never reads `staff`);
/// - the deal's buyer is asked of the caller, and only when buyers of that dealership wait;
/// - waiters come out in ``Batch``es that share one answer, moved whole: waking ten thousand
///   watchers of one dealership at one cursor is one move, not ten thousand.
///
/// - Complexity: ``insert(_:id:scope:shape:)`` and ``remove(_:)`` O(1);
///   ``takeWoken(by:buyer:)`` O(entries + batches woken), whatever else waits and however
///   many a batch holds; ``forget(_:)`` O(1) per waiter, for the caller to do later.
struct LongPollIndex<Waiter> {
    /// What a long-poll's answer is read at, besides its scope.
    struct Shape: Hashable, Sendable {
        var cursor: LogPosition
        var limit: Int
        /// A first sync's closed-deal window (cursor 0 only; nil: the relay's default).
        var closedDealDays: Int? = nil
    }

    /// Waiters that share one answer: the same scope and shape.
    struct Batch {
        var scope: ReadScope
        var shape: Shape
        var waiters: [UUID: Waiter]
    }

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

    /// Waiters by the documents they read, then by shape.
    private typealias ByDocuments = [Set<DealDocumentKind>: [Shape: [UUID: Waiter]]]

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
    /// Where each waiter was filed; kept for a woken one until ``forget(_:)``.
    private var locations: [UUID: (scope: ReadScope, shape: Shape)] = [:]

    /// Waiters filed now (not counting woken ones not yet forgotten).
    private(set) var count = 0

    /// Files `waiter` under `id`, which must be new.
    mutating func insert(_ waiter: Waiter, id: UUID, scope: ReadScope, shape: Shape) {
        precondition(locations[id] == nil, "a long-poll is filed once")
        locations[id] = (scope, shape)
        count += 1
        dealerships[scope.dealership, default: Dealership()].withGroups(scope.deals) { groups in
            groups[scope.documents, default: [:]][shape, default: [:]][id] = waiter
        }
    }

    /// Takes out the waiter filed under `id`, if it still waits (a woken one is only forgotten).
    mutating func remove(_ id: UUID) -> Batch? {
        guard let (scope, shape) = locations.removeValue(forKey: id) else { return nil }
        defer { if dealerships[scope.dealership]?.isEmpty == true { dealerships[scope.dealership] = nil } }
        let waiter: Waiter? = dealerships[scope.dealership]?.withGroups(scope.deals) { groups in
            defer {
                if groups[scope.documents]?[shape]?.isEmpty == true { groups[scope.documents]?[shape] = nil }
                if groups[scope.documents]?.isEmpty == true { groups[scope.documents] = nil }
            }
            return groups[scope.documents]?[shape]?.removeValue(forKey: id)
        }
        guard let waiter else { return nil }
        count -= 1
        return Batch(scope: scope, shape: shape, waiters: [id: waiter])
    }

    /// Forgets where a woken waiter was filed (its batch came out of ``takeWoken(by:buyer:)``).
    mutating func forget(_ id: UUID) {
        locations[id] = nil
    }

    /// Takes out every waiter that may read one of `committed`, in batches that share an
    /// answer: the long-polls a commit of those entries wakes. `buyer` is asked at most once
    /// per committed document, and only when buyers of its dealership wait. The caller then
    /// ``forget(_:)``s each woken waiter, when it has time.
    mutating func takeWoken(by committed: some Sequence<RelayDocumentCache.Key>,
                            buyer: (_ dealership: String, _ deal: DealID) -> DealBuyer) -> [Batch] {
        var woken: [Batch] = []
        var seen: Set<RelayDocumentCache.Key> = []
        for key in committed where seen.insert(key).inserted {
            guard var dealership = dealerships.removeValue(forKey: key.dealership) else { continue }
            take(.all, reading: key.document, of: key.dealership, from: &dealership, into: &woken)
            take(.deal(key.deal.rawValue), reading: key.document, of: key.dealership, from: &dealership, into: &woken)
            if !dealership.buyers.isEmpty {
                switch buyer(key.dealership, key.deal) {
                case .user(let user): take(.buyer(user), reading: key.document, of: key.dealership, from: &dealership, into: &woken)
                case .none: break
                case .unknown:
                    for user in Array(dealership.buyers.keys) {
                        take(.buyer(user), reading: key.document, of: key.dealership, from: &dealership, into: &woken)
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
                for shapes in groups.values {
                    for waiters in shapes.values { all.append(contentsOf: waiters.values) }
                }
            }
        }
        dealerships = [:]
        locations = [:]
        count = 0
        return all
    }

    /// Moves the batches of `deals` that read `document` into `woken`.
    private mutating func take(_ deals: ReadScope.Deals, reading document: DealDocumentKind, of dealership: String,
                               from waiting: inout Dealership, into woken: inout [Batch]) {
        let taken: [(Set<DealDocumentKind>, [Shape: [UUID: Waiter]])] = waiting.withGroups(deals) { groups in
            let matching = groups.keys.filter { $0.contains(document) }
            return matching.compactMap { documents in groups.removeValue(forKey: documents).map { (documents, $0) } }
        }
        for (documents, shapes) in taken {
            let scope = ReadScope(dealership: dealership, deals: deals, documents: documents)
            for (shape, waiters) in shapes {
                count -= waiters.count
                woken.append(Batch(scope: scope, shape: shape, waiters: waiters))
            }
        }
    }
}

extension LongPollIndex.Batch: Sendable where Waiter: Sendable {}
