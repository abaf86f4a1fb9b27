import CRDT
@testable import DealCardKit
import RelayTestSupport
@testable import SyncServer

extension SyncHarness {
    /// How many changes the relay's log holds for a deal (both documents).
    func loggedChanges(_ deal: String, dealership: String = "north") async throws -> Int {
        try await server.relay.loggedChangeCount(deal: deal, dealership: dealership)
    }
}

extension Relay {
    func loggedChangeCount(deal: String, dealership: String = "north") throws -> Int {
        try DealDocumentKind.allCases.reduce(0) { $0 + (try storage.changes(dealership: dealership, deal: DealID(deal)!, document: $1).count) }
    }
}
