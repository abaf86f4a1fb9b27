@testable import RelayClient
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import Testing
import TestSupport

/// The relay's refusals at the sync endpoint, and its durability when killed.
@Suite("Relay refusals and crash durability", .serialized)
struct RelayRefusalTests {
    @Test func aChangeClaimingAnotherUserIsRefusedAndNotRelayed() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let other = try harness.device("petr", .sales, channel: .tablet)
        let deal = try await sales.store.createDeal()
        try await sales.sync()
        try await other.sync()
        // Olga's device makes a change whose metadata claims Petr.
        var claimed = sales.store.identity
        claimed.user = "petr"
        let forged = try await sales.store.forgeForTest(deal, as: claimed) { tx in try tx.put(.root, "vehicle.model", .string("Lada")) }
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: try harness.token("olga", .sales, device: "olga-pc"))
        let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(
            cursor: 1, push: [PushedChange(deal: deal, document: .shared, change: forged.encoded())]))
        #expect(response.refused.first?.code == .forgedAuthor)
        #expect(response.refused.first?.reason.contains("petr") == true)
        try await other.sync()
        #expect(try await other.card(deal).values["vehicle.model"] == nil, "the forged change was relayed")
        await harness.stop()
    }

    @Test func aReplayedChangeIsAcceptedOnceAndStoredOnce() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal()
        try await sales.store.set(deal, "vehicle.model", .text("Camry"))
        let items = try await sales.store.outbox()
        let push = items.map { PushedChange(deal: $0.ref.deal, document: $0.ref.document, change: $0.blob) }
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: try harness.token("olga", .sales, device: "olga-pc"))
        let first: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: push))
        let again: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: push + push))
        #expect(first.accepted.count == 2 && first.refused.isEmpty)
        #expect(again.accepted.count == 4 && again.refused.isEmpty, "a replay is acknowledged again (idempotent)")
        let latest = try await harness.server.relay.storedLatestPosition()
        #expect(latest == 2, "the replay was stored again")
        await harness.stop()
    }

    @Test func revokedAndExpiredTokensAreRefused() async throws {
        let harness = try SyncHarness()
        let issued = try TokenCommands.issue(.init(dataDirectory: harness.folder.file("relay"), user: "olga", role: "sales", dealership: "north"))
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: issued.secret.text)
        let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
        try TokenCommands.revoke(dataDirectory: harness.folder.file("relay"), id: issued.record.id)
        await #expect(throws: SyncError.self) { let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: [])) }
        do {
            let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
        } catch {
            #expect("\(error)".contains("revoked_token"), "\(error)")
        }
        let expired = try TokenCommands.issue(.init(dataDirectory: harness.folder.file("relay"), user: "olga", role: "sales", dealership: "north"),
                                              now: Date().addingTimeInterval(-40 * 86_400))
        do {
            let _: SyncResponse = try await RelayConnection(baseURL: URL(string: harness.url)!, token: expired.secret.text)
                .post("v1/sync", SyncRequest(cursor: 0, push: []))
            Issue.record("an expired token was accepted")
        } catch {
            #expect("\(error)".contains("expired_token"), "\(error)")
        }
        await harness.stop()
    }

    /// The relay process is killed with SIGKILL while a device pushes a stream of edits; after a
    /// restart on the same data, every change it had acknowledged is there.
    @Test func aRelayKilledMidStreamKeepsEveryAcknowledgedChange() async throws {
        let folder = try TemporaryDirectory()
        let data = folder.file("relay")
        var random = SystemRandomNumberGenerator()
        for round in 0..<3 {
            let relay = try PackageExecutable.syncServer.start(["serve", "--data", data, "--port", "0"])
            guard let url = try relay.readLine() else { throw ChildProcess.Failure("no URL from sync-server") }
            let token = try TokenCommands.issue(.init(dataDirectory: data, user: "olga", role: "sales", dealership: "north",
                                                      device: "olga-\(round)")).secret.text
            let identity = DeviceIdentity(user: "olga", role: .sales, dealership: "north", device: "olga-\(round)", channel: .pc,
                                          server: url, token: token)
            let store = try DeviceStore(creatingAt: folder.file("device-\(round)"), identity: identity)
            let session = SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: url)!, token: token))
            let deal = try await store.createDeal()
            var acknowledged: Int64 = 0
            // The kill lands at a random moment while the device pushes edit after edit.
            let delay = Int.random(in: 30...150, using: &random)
            let pid = relay.pid
            let killer = Task.detached {
                try? await Task.sleep(for: .milliseconds(delay))
                kill(pid, SIGKILL)
            }
            for value in 1...100_000 {
                try await store.set(deal, "tradeIn.mileageKm", .integer(Int64(value)))
                do {
                    try await session.sync()
                    acknowledged = Int64(value)
                } catch {
                    break
                }
            }
            await killer.value
            _ = relay.waitForExit()
            #expect(acknowledged > 0, "round \(round): the device saw no acknowledgement before the kill")
            // Restart on the same data; a fresh device reads the deal.
            let restarted = try PackageExecutable.syncServer.start(["serve", "--data", data, "--port", "0"])
            guard let newURL = try restarted.readLine() else { throw ChildProcess.Failure("no URL after restart") }
            let readerToken = try TokenCommands.issue(.init(dataDirectory: data, user: "boss", role: "head", dealership: "north")).secret.text
            let reader = try DeviceStore(creatingAt: folder.file("reader-\(round)"), identity: DeviceIdentity(
                user: "boss", role: .head, dealership: "north", device: "boss-\(round)", channel: .pc, server: newURL, token: readerToken))
            try await SyncSession(store: reader, connection: RelayConnection(baseURL: URL(string: newURL)!, token: readerToken)).sync()
            guard case .integer(let stored)? = try await reader.card(deal).values["tradeIn.mileageKm"] else {
                Issue.record("round \(round): the deal was lost (acknowledged up to \(acknowledged))")
                return
            }
            #expect(stored >= acknowledged, "round \(round): acknowledged \(acknowledged), relay has \(stored)")
            // The first device reconnects to the restarted relay and finishes its stream.
            let resumed = SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: newURL)!, token: token))
            try await resumed.sync()
            #expect(try await store.outboxCount() == 0)
            await store.close()
            await reader.close()
            restarted.stop()
        }
    }
}
