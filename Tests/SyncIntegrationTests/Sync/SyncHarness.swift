@testable import DealCardKit
@testable import RelayClient
@testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation

/// A real relay on a loopback port with its data in a temporary folder, and devices whose
/// stores live in the same folder: what every sync integration test starts from.
final class SyncHarness: @unchecked Sendable {
    let folder: StoreTestFolder
    private(set) var server: RelayServer
    private(set) var url: String
    private(set) var port: Int
    /// The relay's upstream, kept across restarts.
    let upstream: UpstreamConfiguration?
    private let log: RelayLog
    private let schema: DealSchema

    /// - Parameters:
    ///   - upstream: makes the relay a showroom relay syncing with this upstream.
    ///   - log: where the relay logs (nothing is kept by default).
    ///   - schema: the relay's deal-card schema.
    ///   - prepareRelayData: runs on the relay's data folder before the relay opens it (to
    ///     leave a store written by an earlier build there).
    init(upstream: UpstreamConfiguration? = nil, log: RelayLog = .discarding, schema: DealSchema = .standard,
         prepareRelayData: (String) throws -> Void = { _ in }) throws {
        folder = try StoreTestFolder()
        self.upstream = upstream
        self.log = log
        self.schema = schema
        try prepareRelayData(folder.sub("relay"))
        server = try RelayServer(configuration: .init(dataDirectory: folder.sub("relay"), port: 0, upstream: upstream, schema: schema), log: log)
        url = try server.start()
        port = URL(string: url)!.port!
    }

    /// Stops the relay and starts it again on the same port and data (and upstream).
    ///
    /// - Parameter replacingData: runs on the relay's data folder while the relay is stopped
    ///   (to restore a backup, say).
    func restartRelay(replacingData: (String) throws -> Void = { _ in }) async throws {
        await server.stop()
        try replacingData(folder.sub("relay"))
        server = try RelayServer(configuration: .init(dataDirectory: folder.sub("relay"), port: port, upstream: upstream, schema: schema),
                                 log: log)
        url = try server.start()
    }

    func stop() async { await server.stop() }

    /// Issues a token on the relay's store.
    func token(_ user: String, _ role: Role, dealership: String = "north", device: String? = nil, deal: DealID? = nil,
               relay: Bool = false) throws -> String {
        try TokenCommands.issue(.init(dataDirectory: folder.sub("relay"), user: user, role: role.rawValue, dealership: dealership,
                                      device: device, deal: deal?.rawValue, relay: relay)).secret.text
    }

    /// A device with a fresh store, syncing with the relay (or through `via`, a proxy URL).
    func device(_ user: String, _ role: Role, channel: Channel, dealership: String = "north", deal: DealID? = nil,
                via: String? = nil) throws -> TestDevice {
        let deviceID = "\(user)-\(channel.rawValue)"
        let token = try token(user, role, dealership: dealership, device: deviceID, deal: deal)
        let identity = DeviceIdentity(user: user, role: role, dealership: dealership, device: deviceID, channel: channel,
                                      server: via ?? url, token: token)
        let store = try DeviceStore(creatingAt: folder.sub("device-\(deviceID)-\(UUID().uuidString.prefix(6))"), identity: identity)
        return TestDevice(store: store, session: SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: via ?? url)!, token: token)))
    }
}

/// A device in a test: its store and its sync session.
struct TestDevice: Sendable {
    let store: DeviceStore
    let session: SyncSession

    @discardableResult
    func sync() async throws -> SyncReport { try await session.sync() }

    func card(_ deal: DealID) async throws -> DealCard { try await store.card(deal) }
}

