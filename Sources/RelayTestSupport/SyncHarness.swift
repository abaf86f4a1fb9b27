import DealCardKit
import Foundation
import RelayClient
import SyncCore
import SyncServer
import TestSupport

/// A real relay on a loopback port with its data in a temporary folder, and devices whose
/// stores live in the same folder: what every sync integration test starts from.
public final class SyncHarness: @unchecked Sendable {
    /// The test's folder: the relay's data in `relay`, each device's store beside it.
    public let folder: TemporaryDirectory
    public private(set) var server: RelayServer
    public private(set) var url: String
    public private(set) var port: Int
    /// The relay's upstream, kept across restarts.
    public let upstream: UpstreamConfiguration?
    private let log: RelayLog
    private let schema: DealSchema
    /// The shared PostgreSQL database the relay serves instead of its data folder, if any.
    public let postgres: String?

    /// Starts a relay on a free loopback port.
    ///
    /// - Parameters:
    ///   - upstream: makes the relay a showroom relay syncing with this upstream.
    ///   - log: where the relay logs (nothing is kept by default).
    ///   - schema: the relay's deal-card schema.
    ///   - prepareRelayData: runs on the relay's data folder before the relay opens it (to
    ///     leave a store written by an earlier build there).
    ///   - postgres: serve this PostgreSQL database instead of a data folder (a build with
    ///     the `PostgreSQL` trait); several harnesses on one database are several relay nodes.
    public init(upstream: UpstreamConfiguration? = nil, log: RelayLog = .discarding, schema: DealSchema = .standard,
                postgres: String? = nil, prepareRelayData: (String) throws -> Void = { _ in }) throws {
        self.postgres = postgres
        folder = try TemporaryDirectory(prefix: "sync-store")
        self.upstream = upstream
        self.log = log
        self.schema = schema
        try prepareRelayData(folder.file("relay"))
        server = try RelayServer(configuration: .init(dataDirectory: folder.file("relay"), port: 0, upstream: upstream, schema: schema,
                                                      postgres: postgres), log: log)
        url = try server.start()
        port = URL(string: url)!.port!
    }

    /// Stops the relay and starts it again on the same port and data (and upstream).
    ///
    /// - Parameter replacingData: runs on the relay's data folder while the relay is stopped
    ///   (to restore a backup, say).
    public func restartRelay(replacingData: (String) throws -> Void = { _ in }) async throws {
        await server.stop()
        try replacingData(folder.file("relay"))
        server = try RelayServer(configuration: .init(dataDirectory: folder.file("relay"), port: port, upstream: upstream, schema: schema,
                                                      postgres: postgres), log: log)
        url = try server.start()
    }

    public func stop() async { await server.stop() }

    /// Issues a token on the relay's store.
    public func token(_ user: String, _ role: Role, dealership: String = "north", device: String? = nil, deal: DealID? = nil,
                      relay: Bool = false) throws -> String {
        try TokenCommands.issue(.init(dataDirectory: folder.file("relay"), user: user, role: role.rawValue, dealership: dealership,
                                      device: device, deal: deal?.rawValue, relay: relay, postgres: postgres)).secret.text
    }

    /// A device with a fresh store, syncing with the relay (or through `via`, a proxy URL).
    ///
    /// - Parameter clock: the store's clock, in milliseconds since 1970 (to make changes
    ///   that look old); the real one by default.
    public func device(_ user: String, _ role: Role, channel: Channel, dealership: String = "north", deal: DealID? = nil,
                       via: String? = nil, clock: @escaping @Sendable () -> Int64 = DeviceStore.now) throws -> TestDevice {
        let deviceID = "\(user)-\(channel.rawValue)"
        let token = try token(user, role, dealership: dealership, device: deviceID, deal: deal)
        let identity = DeviceIdentity(user: user, role: role, dealership: dealership, device: deviceID, channel: channel,
                                      server: via ?? url, token: token)
        let store = try DeviceStore(creatingAt: folder.file("device-\(deviceID)-\(UUID().uuidString.prefix(6))"), identity: identity,
                                    clock: clock)
        return TestDevice(store: store, session: SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: via ?? url)!, token: token)))
    }
}
