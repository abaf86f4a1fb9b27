import DealCardKit
import SyncCore
import SyncProtocol

/// A device in a test: its store and its sync session.
public struct TestDevice: Sendable {
    public let store: DeviceStore
    public let session: SyncSession

    public init(store: DeviceStore, session: SyncSession) {
        self.store = store
        self.session = session
    }

    @discardableResult
    public func sync() async throws -> SyncReport { try await session.sync() }

    public func card(_ deal: DealID) async throws -> DealCard { try await store.card(deal) }
}
