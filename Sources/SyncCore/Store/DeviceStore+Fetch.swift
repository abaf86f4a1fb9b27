import CRDT
import DealCardKit
import SyncProtocol
import Foundation

/// Deals a first sync left out, and fetching them.
///
/// A relay's first sync sends the open deals and those closed within a window (30 days
/// unless the device asks for another, ``SyncSession/closedDealDays``); the store remembers
/// the window and how many deals it left out. An older deal is fetched when asked for
/// (``requestFetch(_:)``, then a sync), or by itself when one of its changes arrives with no
/// history to apply to (someone touched a closed deal); from then on it syncs like any other.
extension DeviceStore {
    /// The first-sync window a relay applied, as the store recorded it.
    public struct FirstSyncWindow: Sendable, Equatable {
        /// Closed deals last changed more than this many days before the first sync were left
        /// out; nil: every deal was sent.
        public var closedDealDays: Int?
        /// How many deals were left out, when the relay said.
        public var archivedDeals: Int?
    }

    /// Records the window of a first sync with `relay`.
    public func recordFirstSync(relay: String, closedDealDays: Int?, archivedDeals: Int?) throws(StoreError) {
        try FirstSyncWindowRow(relay: relay, closedDealDays: closedDealDays, archivedDeals: archivedDeals).save(in: db)
    }

    /// The window of the first sync with `relay`, or nil before one recorded it.
    public func firstSyncWindow(relay: String) throws(StoreError) -> FirstSyncWindow? {
        try FirstSyncWindowRow.find(relay: relay, in: db).map { FirstSyncWindow(closedDealDays: $0.closedDealDays, archivedDeals: $0.archivedDeals) }
    }

    /// Asks for `deal` whole in the next sync (kept across restarts until an answer brings it
    /// or says the relay has no such deal for this device).
    public func requestFetch(_ deal: DealID) throws(StoreError) {
        try DealFetchRow(deal: deal, requestedAt: clock()).insert(in: db)
    }

    /// The deals to ask for in the next request, oldest first.
    public func dealsToFetch(limit: Int = SyncRequest.maxFetch) throws(StoreError) -> [DealID] {
        try DealFetchRow.oldest(limit: limit, in: db)
    }

    /// Forgets the requests of deals an answer brought or named unknown.
    public func fetchAnswered(_ deals: [DealID]) throws(StoreError) {
        guard !deals.isEmpty else { return }
        try DealFetchRow.delete(deals, in: db)
    }

    /// Whether the store holds any change of `deal` (applied, not merely waiting).
    public func holdsHistory(of deal: DealID) throws(StoreError) -> Bool {
        for kind in DealDocumentKind.allCases where schema.canRead(role: identity.role, document: kind) {
            do {
                if let document = try document(deal, kind), document.hasChanges { return true }
            } catch {
                throw StoreError.wrap(error)
            }
        }
        return false
    }

    /// Of the deals in `received`, asks for those that now hold changes waiting for a history
    /// the device never got (a deal its first sync left out, changed since) to be fetched.
    ///
    /// - Returns: the deals asked for.
    @discardableResult
    public func requestFetchOfDealsWithoutHistory(_ received: [ReceivedChanges]) throws(StoreError) -> [DealID] {
        var asked: [DealID] = []
        for item in received where item.snapshot == nil && !asked.contains(item.deal) {
            let waiting: Bool
            do { waiting = !(try document(item.deal, item.document)?.pendingChanges.isEmpty ?? true) } catch { throw StoreError.wrap(error) }
            guard waiting, try !holdsHistory(of: item.deal) else { continue }
            try requestFetch(item.deal)
            asked.append(item.deal)
        }
        return asked
    }
}
