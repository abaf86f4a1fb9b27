import Foundation
import RelayTestSupport
import Testing
@testable import SQLiteKit
@testable import SyncServer

/// A relay whose store was written before idempotency keys were scoped by dealership and
/// carried a request digest: it opens, keeps its answers for their own dealership, and
/// stores new ones the new way.
@Suite("Idempotency keys in a store of the previous schema", .serialized)
struct IdempotencyMigrationTests {
    /// The answer a north connector `crm` got before the upgrade, under key `create-old`.
    static let oldAnswer = #"{"change":{"document":"shared","replica":"5f0c1e9a7b3d2c41","seq":1},"cursor":1,"deal":"d-old"}"#

    /// Writes a relay store at the schema before the scoping step, with one deal of north and
    /// one answer stored the old way.
    static func writePreviousStore(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(path: directory + "/" + SQLiteRelayStorage.fileName)
        defer { database.close() }
        // Up to the step before the scoping one (later steps are appended after it).
        let scoping = SQLiteRelayStorage.migrator.steps.firstIndex { $0.name == "idempotency_key: by dealership, user and key, with request digest" }
        try SQLiteRelayStorage.migrator.migrate(database, upTo: try #require(scoping))
        try database.execute("INSERT INTO deal(id, dealership, created_at, created_by) VALUES ('d-old', 'north', 0, 'crm')")
        try database.execute("INSERT INTO idempotency_key(key, status, body, stored_at) VALUES (?, 200, ?, 0)",
                             arguments: [.text("integration:3:crm:create-old"), .blob(Array(oldAnswer.utf8))])
    }

    @Test func aMigratedStoreOpensKeepsItsAnswersPerDealershipAndStoresNewOnes() async throws {
        let harness = try SyncHarness(prepareRelayData: Self.writePreviousStore)
        let north = try harness.token("crm", .integration)
        let south = try harness.token("crm", .integration, dealership: "south")

        // North's retry across the upgrade gets its kept answer; the old row has no digest,
        // so it answers whatever the retry sends, as before.
        let retry = try await harness.integrationPost("/v1/integration/deals", token: north, key: "create-old", #"{"deal": "d-old"}"#)
        #expect(retry.status == 200 && retry.text == Self.oldAnswer, "\(retry.text)")
        #expect(try await harness.loggedChanges("d-old") == 0, "nothing written")

        // South's connector of the same name and key writes its own deal.
        let southCreate = try await harness.integrationPost("/v1/integration/deals", token: south, key: "create-old",
                                                            #"{"fields": {"status.crmId": "S-1"}}"#)
        #expect(southCreate.status == 200, "\(southCreate.text)")
        let southDeal = try #require(southCreate.value("deal")?.stringValue)
        #expect(southDeal != "d-old")
        #expect(try await harness.loggedChanges(southDeal, dealership: "south") == 1)

        // New answers carry a digest: the same key with another body is refused.
        let fresh = try await harness.integrationPost("/v1/integration/deals/d-old", token: north, key: "k-new", #"{"fields": {"status.crmId": "N-1"}}"#)
        #expect(fresh.status == 200, "\(fresh.text)")
        let reused = try await harness.integrationPost("/v1/integration/deals/d-old", token: north, key: "k-new", #"{"fields": {"status.crmId": "N-2"}}"#)
        #expect(reused.status == 422 && reused.errorCode == "idempotency_key_reused", "\(reused.text)")
        #expect(try await harness.loggedChanges("d-old") == 1)

        // And the store reopens as it is.
        try await harness.restartRelay()
        let again = try await harness.integrationPost("/v1/integration/deals/d-old", token: north, key: "k-new", #"{"fields": {"status.crmId": "N-1"}}"#)
        #expect(again.body == fresh.body)
        await harness.stop()
    }
}
