import SyncProtocol
@testable import SyncServer
import Foundation

extension Relay {
    /// The stored position with the upstream at `url`.
    func storedUpstreamPosition(_ url: String) throws -> UpstreamPosition? {
        try storage.upstreamPosition(upstream: url)
    }

    /// The ids of a dealership's deals.
    func storedDealIDs(dealership: String = "north") throws -> [String] {
        try storage.dealIDs(dealership: dealership).map(\.rawValue)
    }

    /// The last sequence number of the change log.
    func storedLatestPosition() throws -> LogPosition {
        try storage.latestPosition
    }

    /// The quarantine, newest first.
    func storedQuarantine() throws -> [QuarantineRecord] {
        try storage.quarantine(limit: 100)
    }
}
