import CRDT
@testable import DealCardKit
@testable import HTTP1
@testable import RelayClient
@testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import Testing
import TestSupport

/// Regressions for problems a code review found in the sync paths.
@Suite("Sync review regressions", .serialized)
struct ReviewRegressionTests {
    @Test(arguments: [-1, 0, 10_001])
    func anOutOfRangeLimitIsABadRequestNotACrash(limit: Int) async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        try await sales.store.createDeal()
        try await sales.sync()
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: try harness.token("olga", .sales))
        do {
            let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 1, push: [], limit: limit))
            Issue.record("limit \(limit) was accepted")
        } catch {
            #expect("\(error)".contains("limit must be within"), "\(error)")
        }
        // The relay still serves.
        try await sales.sync()
        await harness.stop()
    }

    @Test func anotherChangeUnderAStoredIdIsRefusedNotAcknowledged() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await sales.store.createDeal()
        try await sales.sync()
        // A second change with the same (replica, seq) as the stored first one, other content.
        let fresh = Document(replica: sales.store.identity.replica)
        let impostor = try fresh.change(metadata: sales.store.identity.author(at: 1).encoded()) { tx in
            try tx.put(.root, "vehicle.model", .string("Lada"))
        }!
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: sales.store.identity.token!)
        let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(
            cursor: 1, push: [PushedChange(deal: deal, document: .shared, change: impostor.encoded())]))
        #expect(response.accepted.isEmpty)
        #expect(response.refused.first?.code == .conflictingChange)
        await harness.stop()
    }

    @Test func aRelayWhoseDataWasReplacedIsReadAgainFromTheStart() async throws {
        let folder = try TemporaryDirectory()
        let first = try RelayServer(configuration: .init(dataDirectory: folder.file("old"), port: 0), log: .discarding)
        let url = try first.start()
        let port = URL(string: url)!.port!
        let oldToken = try TokenCommands.issue(.init(dataDirectory: folder.file("old"), user: "olga", role: "sales", dealership: "north", device: "pc")).secret.text
        let identity = DeviceIdentity(user: "olga", role: .sales, dealership: "north", device: "pc", channel: .pc, server: url, token: oldToken)
        let store = try DeviceStore(creatingAt: folder.file("device"), identity: identity)
        for _ in 0..<3 { try await store.createDeal() }
        try await SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: url)!, token: oldToken)).sync()
        #expect(try await store.cursor(relay: url) >= 3)
        await first.stop()
        // Same address, new empty data: the device's cursor is ahead of the new log.
        let second = try RelayServer(configuration: .init(dataDirectory: folder.file("new"), port: port), log: .discarding)
        _ = try second.start()
        let newToken = try TokenCommands.issue(.init(dataDirectory: folder.file("new"), user: "olga", role: "sales", dealership: "north", device: "pc")).secret.text
        let session = SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: url)!, token: newToken))
        try await store.createDeal()
        let report = try await session.sync()
        #expect(report.accepted >= 1, "the device did not get past the replaced relay")
        await second.stop()
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "",
    ])
    func malformedAnswersAreErrorsNotCrashes(answer: String) async throws {
        let server = try OneShotServer(answer: Array(answer.utf8))
        let client = SocketHTTPClient()
        do {
            _ = try await client.send(method: "GET", url: URL(string: "http://127.0.0.1:\(server.port)/x")!, headers: [:], body: [], timeout: 5)
            Issue.record("a malformed answer was accepted")
        } catch {
            switch error {
            case .badResponse, .unreachable: break
            case .unsupportedURL: Issue.record("a malformed answer was blamed on the URL: \(error)")
            }
        }
    }
}

/// A loopback server that answers one connection with fixed bytes, then closes it.
final class OneShotServer: @unchecked Sendable {
    let port: Int

    init(answer: [UInt8]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread {
            let client = accept(fd, nil, nil)
            if client >= 0 {
                var buffer = [UInt8](repeating: 0, count: 4096)
                _ = read(client, &buffer, buffer.count)
                _ = answer.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
            close(fd)
        }
    }
}

extension Relay {
    /// Shrinks the document cache (tests).
    func setDocumentCapacity(_ capacity: Int) { sync.cache.capacity = capacity }
    /// Documents in memory (tests).
    func cachedDocumentCount() -> Int { sync.cache.count }
}

@Suite("Relay document cache")
struct RelayDocumentCacheTests {
    @Test func evictedDocumentsAreRebuiltFromTheLogAndSyncStillConverges() async throws {
        let harness = try SyncHarness()
        await harness.server.relay.setDocumentCapacity(2)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let head = try harness.device("boss", .head, channel: .pc)
        var deals: [DealID] = []
        for index in 0..<6 { deals.append(try await sales.store.createDeal(values: ["tradeIn.mileageKm": .integer(Int64(index))])) }
        try await sales.sync()
        for deal in deals { try await sales.store.set(deal, "vehicle.model", .text("Camry")) }
        try await sales.sync()
        #expect(await harness.server.relay.cachedDocumentCount() <= 2)
        try await head.sync()
        for (index, deal) in deals.enumerated() {
            let card = try await head.card(deal)
            #expect(card.values["tradeIn.mileageKm"] == .integer(Int64(index)))
            #expect(card.values["vehicle.model"] == .text("Camry"))
        }
        await harness.stop()
    }
}

@Suite("First sync in pages")
struct FirstSyncPagingTests {
    @Test func aFirstSyncSpreadOverSeveralAnswersGetsEveryDeal() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        var deals: [DealID] = []
        for index in 0..<7 { deals.append(try await sales.store.createDeal(values: ["tradeIn.mileageKm": .integer(Int64(index))])) }
        try await sales.store.set(deals[0], "staff.notes", .text("staff too"))
        try await sales.sync()
        let head = try harness.device("boss", .head, channel: .pc)
        await head.session.setPageLimit(2)
        let report = try await head.session.sync()
        #expect(report.rounds >= 4, "the first sync was not paged (\(report.rounds) rounds)")
        #expect(report.snapshots == 8)
        for (index, deal) in deals.enumerated() {
            #expect(try await head.card(deal).values["tradeIn.mileageKm"] == .integer(Int64(index)))
        }
        #expect(try await head.card(deals[0]).values["staff.notes"] == .text("staff too"))
        // Afterwards the device follows the log from where the first answer started.
        try await sales.store.set(deals[6], "vehicle.model", .text("Niva"))
        try await sales.sync()
        try await head.sync()
        #expect(try await head.card(deals[6]).values["vehicle.model"] == .text("Niva"))
        await harness.stop()
    }
}
