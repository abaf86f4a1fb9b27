import CRDT
@testable import DealCardKit
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import Testing
import TestSupport

/// A push is decided first and committed in one transaction, and the storage, not the
/// relay's memory, is the authority on what the log may take.
@Suite("Push commit", .serialized)
struct PushCommitTests {
    @Test func aPushWhoseQuarantineInsertFailsStoresNothingAtAll() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        let outbox = try await buyer.store.outbox()
        let client = HandMadeClient(harness, device: buyer)
        // The buyer's real first change (a new deal, a new replica), then a forged one that
        // must be quarantined: the quarantine insert fails.
        let forged = try Document(replica: .random()).change(metadata: client.metadata) { try $0.put(.root, "vehicle.price", .int(1)) }!
        try await harness.server.relay.executeOnStore("""
            CREATE TRIGGER refuse_quarantine BEFORE INSERT ON quarantine BEGIN SELECT RAISE(ABORT, 'the disk says no'); END
            """)
        #expect(outbox.allSatisfy { $0.ref.document == .shared })
        let push = outbox.map(\.blob) + [forged.encoded()]
        let failed = try await harness.request("POST", "/v1/sync", token: buyer.store.identity.token!,
                                               body: try syncBody(SyncRequest(cursor: 0, push: push.map { PushedChange(deal: deal, document: .shared, change: $0) })))
        #expect(failed.status == 503, "\(failed.text)")
        // Nothing of it: no deal, no binding, no log entry.
        #expect(try await harness.server.relay.storedFacts(deal: deal, replica: buyer.store.identity.replica) == .init(deal: false, binding: false, logged: 0))
        // Once the disk is well again, the same push goes through whole.
        try await harness.server.relay.executeOnStore("DROP TRIGGER refuse_quarantine")
        let answer = try await client.pushAll(push, deal: deal, cursor: 0)
        #expect(answer.accepted.count == outbox.count)
        #expect(answer.refused.map(\.code) == [.permission] || answer.refused.map(\.code) == [.forgedAuthor], "\(answer.refused)")
        #expect(try await harness.server.relay.storedFacts(deal: deal, replica: buyer.store.identity.replica) == .init(deal: true, binding: true, logged: outbox.count))
        await harness.stop()
    }

    @Test func theStorageRefusesOtherContentUnderAStoredIDAndANonNextSeq() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            _ = try storage.appendChanges([RelayFixtures.change("d1", seq: 1, blob: [1])])
            #expect(throws: RelayStorageError.conflictingChange(deal: DealID("d1")!, replica: 7, changeSequence: 1)) {
                try storage.appendChanges([RelayFixtures.change("d1", seq: 2, blob: [2]), RelayFixtures.change("d1", seq: 1, blob: [9])])
            }
            #expect(throws: RelayStorageError.notNextChange(deal: DealID("d1")!, replica: 7, changeSequence: 3, expected: 2)) {
                try storage.appendChanges([RelayFixtures.change("d1", seq: 3, blob: [3])])
            }
            // Neither call stored anything, not even the valid seq 2 of the first.
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .shared).map(\.entry.blob) == [[1]])
            #expect(try storage.latestPosition == 1)
        }
    }

    @Test func aRelayWhoseMemoryIsBehindTheLogStoresNothingWrong() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        let client = HandMadeClient(harness, device: buyer)
        let state = try await client.document(deal)
        // Another writer (a second relay node over the same store) logs the buyer's next change
        // behind this relay's back; this relay's cached document does not have it.
        let elsewhere = state.fork(as: buyer.store.identity.replica)
        let stored = try elsewhere.change(metadata: client.metadata) { try $0.put(.root, "vehicle.color", .string("white")) }!
        try await harness.server.relay.appendBehindTheCache(stored, deal: deal)
        // Another change under the same id reaches this relay: its memory would take it, the
        // storage does not; nothing is stored and the cache is dropped.
        let other = try state.change(metadata: client.metadata) { try $0.put(.root, "vehicle.color", .string("black")) }!
        #expect(other.id == stored.id)
        let failed = try await harness.request("POST", "/v1/sync", token: buyer.store.identity.token!,
                                               body: try syncBody(SyncRequest(cursor: 1, push: [PushedChange(deal: deal, document: .shared, change: other.encoded())])))
        #expect(failed.status == 503, "\(failed.text)")
        // Retried, the relay reads the log again and answers for what it holds.
        let retried = try await client.push(other, deal: deal)
        #expect(retried.refused.map(\.code) == [.conflictingChange], "\(retried.refused)")
        let sales = try harness.device("olga", .sales, channel: .pc)
        try await sales.sync()
        #expect(try await sales.card(deal).values["vehicle.color"] == .text("white"))
        await harness.stop()
    }

    private func syncBody(_ request: SyncRequest) throws -> String {
        String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
    }
}

extension Relay {
    /// What the store holds of a deal and a replica (tests).
    struct StoredFacts: Equatable {
        var deal: Bool
        var binding: Bool
        var logged: Int
    }

    func storedFacts(deal: DealID, replica: ReplicaID, dealership: String = "north") throws -> StoredFacts {
        StoredFacts(deal: try storage.deal(dealership: dealership, id: deal) != nil,
                    binding: try storage.replicaBinding(replica) != nil,
                    logged: try storage.changes(dealership: dealership, deal: deal, document: .shared).count)
    }

    /// Runs SQL on the relay's own database connection (tests: triggers that make a write fail).
    func executeOnStore(_ sql: String) throws {
        guard let sqlite = storage as? SQLiteRelayStorage else { throw RelayError(.internalError, "not a SQLite store") }
        try sqlite.database.execute(sql)
    }

    /// Appends a change to the log without the relay's memory knowing (tests: a second writer).
    func appendBehindTheCache(_ change: Change, deal: DealID, dealership: String = "north") throws {
        let author = ChangeAuthor(metadata: change.metadata)!
        _ = try storage.appendChanges([NewLogEntry(
            dealership: dealership, deal: deal, document: .shared, replica: change.replica, changeSequence: change.seq,
            blob: change.encoded(), author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel),
            receivedAt: Date())])
    }
}
