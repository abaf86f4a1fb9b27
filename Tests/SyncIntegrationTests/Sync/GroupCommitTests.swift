import CRDT
@testable import DealCardKit
@testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayClient
import RelayTestSupport
import SQLiteKit
import Testing
import TestSupport

/// Pushes that arrive together are committed in one transaction, each refused or stored on
/// its own, and none is answered before the commit that holds it.
@Suite("Group commit", .serialized)
struct GroupCommitTests {
    /// A savepoint rolls back its own part alone; the transaction keeps the rest.
    @Test func aFailingSavepointRollsBackItsPartAlone() throws {
        try withTemporaryDirectory { directory in
            let db = try SQLiteDatabase(path: directory.file("t.sqlite"))
            try db.execute("CREATE TABLE t(v INTEGER UNIQUE)")
            try db.transaction { db in
                try db.savepoint("a") { db in try db.execute("INSERT INTO t(v) VALUES (1)") }
                #expect(throws: SQLiteError.self) {
                    try db.savepoint("b") { db in
                        try db.execute("INSERT INTO t(v) VALUES (2)")
                        try db.execute("INSERT INTO t(v) VALUES (1)")  // violates UNIQUE
                    }
                }
                try db.savepoint("c") { db in try db.execute("INSERT INTO t(v) VALUES (3)") }
            }
            #expect(try db.query("SELECT v FROM t ORDER BY v") { $0.int64(at: 0) } == [1, 3])
            db.close()
        }
    }

    /// Three pushes in one group: the middle one is refused by the storage (another change
    /// under a stored id) and stores nothing — not its deal, not its binding — while the
    /// others are stored.
    @Test func aPushTheStorageRefusesFailsAloneInItsGroup() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            _ = try storage.appendChanges([RelayFixtures.change("d1", seq: 1, blob: [1])])
            let first = PushCommit(entries: [RelayFixtures.change("d2", seq: 1, blob: [2])])
            let refused = PushCommit(
                bindings: [ReplicaBinding(replica: 99, device: "tablet-9", user: "irina", boundAt: RelayFixtures.now)],
                deals: [RelayFixtures.deal("d-new")],
                entries: [RelayFixtures.change("d-new", replica: 99, seq: 1, blob: [3]), RelayFixtures.change("d1", seq: 1, blob: [9])])
            // The third push brings d1's row as it computed it (with the refused push's change in
            // memory, had they shared a document).
            let row = DealAnalyticsRow(dealership: "north", deal: DealID("d1")!, facts: DealFacts(
                stages: [:], completeness: Completeness(filled: 0, required: 1), state: nil, path: [.pc], lastChange: 1))
            let third = PushCommit(entries: [RelayFixtures.change("d1", seq: 2, blob: [4])], analytics: [row])
            let results = try storage.commitPushes([first, refused, third])
            #expect(results.count == 3)
            #expect((try? results[0].get())?.count == 1)
            guard case .failure(let error) = results[1] else {
                Issue.record("the conflicting push was stored")
                return
            }
            #expect(error.storageError == .conflictingChange(deal: DealID("d1")!, replica: 7, changeSequence: 1), "\(error)")
            #expect((try? results[2].get())?.map(\.entry.changeSequence) == [2])
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .shared).map(\.entry.blob) == [[1], [4]])
            #expect(try storage.changes(dealership: "north", deal: DealID("d2")!, document: .shared).map(\.entry.blob) == [[2]])
            #expect(try storage.deal(dealership: "north", id: DealID("d-new")!) == nil)
            #expect(try storage.replicaBinding(99) == nil)
            // d1's row was stored current by the third push, which came after a failed one: it
            // is computed again before the next report. d2's, stored by nobody's row, too.
            #expect(try storage.staleAnalyticsDeals(limit: 10).contains { $0.dealership == "north" && $0.deal == DealID("d1")! })
        }
    }

    /// Many devices push at once through a real relay: every change is accepted and stored,
    /// and each device's own change comes back in its answer; the pushes went through group
    /// commits (never more transactions than pushes).
    @Test func devicesPushingTogetherAreAllStored() async throws {
        let harness = try SyncHarness()
        var devices: [TestDevice] = []
        for index in 0..<16 {
            devices.append(try harness.device("sales\(index)", .sales, channel: .pc))
        }
        var deals: [DealID] = []
        for (index, device) in devices.enumerated() {
            deals.append(try await device.store.createDeal(values: ["vehicle.model": .text("Car \(index)")]))
        }
        let before = (harness.server.relay.metrics.groupCommits.value, harness.server.relay.metrics.groupCommittedPushes.value)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for device in devices { group.addTask { try await device.session.sync() } }
            try await group.waitForAll()
        }
        for device in devices { #expect(try await device.store.outboxCount() == 0) }
        let commits = harness.server.relay.metrics.groupCommits.value - before.0
        let pushes = harness.server.relay.metrics.groupCommittedPushes.value - before.1
        #expect(pushes == 16, "\(pushes) pushes committed")
        #expect(commits >= 1 && commits <= pushes, "\(commits) commits for \(pushes) pushes")
        let head = try harness.device("boss", .head, channel: .pc)
        try await head.session.sync()
        #expect(Set(try await head.store.deals().map(\.id)) == Set(deals))
        for device in devices + [head] { await device.store.close() }
        await harness.stop()
    }

    /// Devices push together to a relay process that is killed with SIGKILL as soon as the
    /// last answer arrived: after a restart, every acknowledged change is there.
    @Test func nothingAcknowledgedIsLostToAKillRightAfterTheAnswers() async throws {
        let folder = try TemporaryDirectory()
        let data = folder.file("relay")
        let relay = try PackageExecutable.syncServer.start(["serve", "--data", data, "--port", "0"])
        guard let url = try relay.readLine() else { throw ChildProcess.Failure("no URL from sync-server") }
        var stores: [(DeviceStore, SyncSession, DealID)] = []
        for index in 0..<12 {
            let token = try TokenCommands.issue(.init(dataDirectory: data, user: "sales\(index)", role: "sales", dealership: "north",
                                                      device: "pc-\(index)")).secret.text
            let identity = DeviceIdentity(user: "sales\(index)", role: .sales, dealership: "north", device: "pc-\(index)", channel: .pc,
                                          server: url, token: token)
            let store = try DeviceStore(creatingAt: folder.file("device-\(index)"), identity: identity)
            let deal = try await store.createDeal(values: ["vehicle.model": .text("Car \(index)")])
            stores.append((store, SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: url)!, token: token)), deal))
        }
        let acknowledged = await withTaskGroup(of: DealID?.self) { group in
            for (_, session, deal) in stores { group.addTask { (try? await session.sync()) != nil ? deal : nil } }
            var done: [DealID] = []
            for await deal in group { if let deal { done.append(deal) } }
            return done
        }
        kill(relay.pid, SIGKILL)
        _ = relay.waitForExit()
        #expect(acknowledged.count == stores.count, "only \(acknowledged.count) of \(stores.count) pushes were answered")
        let restarted = try PackageExecutable.syncServer.start(["serve", "--data", data, "--port", "0"])
        guard let newURL = try restarted.readLine() else { throw ChildProcess.Failure("no URL after restart") }
        let readerToken = try TokenCommands.issue(.init(dataDirectory: data, user: "boss", role: "head", dealership: "north")).secret.text
        let reader = try DeviceStore(creatingAt: folder.file("reader"), identity: DeviceIdentity(
            user: "boss", role: .head, dealership: "north", device: "boss-pc", channel: .pc, server: newURL, token: readerToken))
        try await SyncSession(store: reader, connection: RelayConnection(baseURL: URL(string: newURL)!, token: readerToken)).sync()
        let stored = Set(try await reader.deals().map(\.id))
        for deal in acknowledged { #expect(stored.contains(deal), "acknowledged deal \(deal) was lost") }
        for (store, _, _) in stores { await store.close() }
        await reader.close()
        restarted.stop()
    }

    /// A push the storage refuses in a group: its documents leave memory inside the flush,
    /// before any request resumes, so nothing that runs on the actor meanwhile (a first
    /// sync, an analytics slice) can read the changes that were refused.
    @Test func aFailedPushsDocumentsLeaveMemoryBeforeAnyRequestResumes() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("sales", .sales, channel: .pc)
        let deal = try await sales.store.createDeal(values: ["vehicle.model": .text("Car")])
        try await sales.session.sync()
        let held = try await harness.server.relay.heldAfterAFailedFlush(deal: deal)
        #expect(held.before, "the document was not in memory before the flush")
        #expect(!held.after, "the refused push's document was still in memory when the requests resumed")
        await sales.store.close()
        await harness.stop()
    }
}

extension Relay {
    /// Loads `deal`'s shared document, flushes a one-push group the storage refuses (another
    /// change under the stored id of the deal's first change), and says whether the document
    /// was in memory before and right after the flush (no suspension in between).
    fileprivate func heldAfterAFailedFlush(deal: DealID) throws -> (before: Bool, after: Bool) {
        let stored = try #require(try storage.changes(dealership: "north", deal: deal, document: .shared).first)
        var forged = stored.entry
        forged.blob = forged.blob + [0]
        let key = RelaySyncState.DocumentKey(dealership: "north", deal: deal, document: .shared)
        _ = try documentEntry("north", deal, .shared)
        let before = sync.cache.entry(key) != nil
        sync.groupCommit.append(.init(commit: PushCommit(entries: [forged]), named: [key], resume: { _ in }))
        flushGroupCommit()
        return (before, sync.cache.entry(key) != nil)
    }
}
