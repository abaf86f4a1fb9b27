import Foundation
import SyncServer

/// `sync-bench relay`: a real relay started in this process on a loopback port, with its
/// data in a temporary folder; then the idle-connection, sync-throughput and fan-out
/// measurements. `connections` 0 skips the first, no `watchers` the last; `seedDirect` makes
/// the first sync's deals in this process (see
/// ``benchRelaySync(relay:relayURL:relayFolder:folder:deals:devices:editsPerDeal:firstSyncs:seedDirect:)``).
func benchRelay(connections: Int, deals: Int, devices: Int, editsPerDeal: Int, firstSyncs: Int, watchers: [Int], seedDirect: Bool) async throws {
    let folder = try BenchFolder("relay")
    defer { folder.remove() }
    let relayFolder = folder.sub("relay")
    let server = try RelayServer(configuration: .init(dataDirectory: relayFolder, port: 0), log: .discarding)
    let url = try server.start()
    guard let port = URL(string: url)?.port else { throw BenchError("the relay reported no port in \(url)") }
    do {
        if connections > 0 { try await benchIdleConnections(relayURL: url, port: port, count: connections) }
        try await benchRelaySync(relay: server.relay, relayURL: url, relayFolder: relayFolder, folder: folder, deals: deals, devices: devices,
                                 editsPerDeal: editsPerDeal, firstSyncs: firstSyncs, seedDirect: seedDirect)
        if !watchers.isEmpty {
            try await benchFanOut(relayURL: url, port: port, relayFolder: relayFolder, folder: folder, metrics: server.relay.metrics,
                                  watcherCounts: watchers)
        }
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}
