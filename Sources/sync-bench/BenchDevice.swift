import Foundation
import RelayClient
import SyncCore
import SyncServer

/// A device of the relay suite: a sales manager's store in the bench folder and a sync
/// session with a token of its own, issued on the relay's store.
struct BenchDevice: Sendable {
    let store: DeviceStore
    let session: SyncSession

    init(name: String, dealership: String, relayURL: String, relayFolder: String, postgres: String? = nil, folder: BenchFolder) throws {
        let device = "bench-\(name)"
        let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: name, role: "sales", dealership: dealership,
                                                  device: device, postgres: postgres)).secret.text
        let identity = DealFixture.salesIdentity(user: name, device: device, dealership: dealership, server: relayURL, token: token)
        store = try DeviceStore(creatingAt: folder.sub("device-\(name)"), identity: identity)
        session = SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: relayURL)!, token: token))
    }
}
