import CRDT
import Foundation
import Testing
@testable import SyncCore
@testable import SyncServer
import CanonicalJSON
@testable import DealCardKit
@testable import SyncProtocol
import RelayTestSupport
import TestSupport

/// A rolling upgrade: a relay that stores snapshots of format version 2 still answers a device
/// from before it (whose request has no `snapshotFormats`) with version 1 snapshots it can
/// open, and a device that names the versions it reads gets one of them
/// (protocol-spec/sync.md, "Snapshot formats"). Against a real relay, raw requests.
@Suite("Snapshot format negotiation")
struct SnapshotFormatNegotiationTests {
    private static func body(formats: SchemaJSON?) -> String {
        var fields: [String: SchemaJSON] = ["protocol": .integer(1), "cursor": .integer(0), "push": .array([]), "wait": .integer(0)]
        if let formats { fields["snapshotFormats"] = formats }
        return SchemaJSON.object(fields).canonicalText
    }

    /// A relay holding one deal with a few edits, and a sales token that reads it.
    private static func relayWithADeal() async throws -> (SyncHarness, String, [String: ScalarValue]) {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let client = HandMadeClient(harness, device: sales)
        let document = Document(replica: client.identity.replica)
        var items: [SchemaJSON] = []
        for (field, value) in [("vehicle.model", "Camry"), ("vehicle.trim", "Prestige"), ("vehicle.model", "RAV4")] {
            let change = try #require(try document.change(metadata: client.metadata) { try $0.put(.root, field, .string(value)) })
            items.append(MalformedDealIDPushTests.item(deal: "d-1", change))
        }
        let push = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!,
                                             body: MalformedDealIDPushTests.body(cursor: 0, items))
        #expect(push.status == 200, "\(push.status) \(push.text)")
        return (harness, sales.store.identity.token!, ["vehicle.model": .string("RAV4"), "vehicle.trim": .string("Prestige")])
    }

    /// The first sync's snapshots as (format version, loaded document).
    private static func firstSync(_ harness: SyncHarness, token: String, formats: SchemaJSON?) async throws -> [(UInt8, Document)] {
        let answer = try await harness.request("POST", "/v1/sync", token: token, body: body(formats: formats))
        #expect(answer.status == 200, "\(answer.status) \(answer.text)")
        let response = try JSONDecoder().decode(SyncResponse.self, from: Data(answer.body))
        return try response.snapshots.map { item in
            let blob = try #require(Data(base64Encoded: item.snapshot).map(Array.init))
            return (try Document.snapshotFormatVersion(blob), try Document(snapshot: blob))
        }
    }

    @Test func aDeviceThatNamesNoFormatsGetsVersion1() async throws {
        let (harness, token, expected) = try await Self.relayWithADeal()
        let snapshots = try await Self.firstSync(harness, token: token, formats: nil)
        #expect(!snapshots.isEmpty)
        #expect(snapshots.allSatisfy { $0.0 == 1 }, "versions \(snapshots.map(\.0))")
        let shared = try #require(snapshots.first { $0.1.historyCount == 3 })
        for (field, value) in expected { #expect(try shared.1.get(.root, field) == .scalar(value)) }
        await harness.stop()
    }

    @Test(arguments: [[1, 2], [2], [2, 9]])
    func aDeviceThatReadsVersion2GetsIt(formats: [Int]) async throws {
        let (harness, token, expected) = try await Self.relayWithADeal()
        let snapshots = try await Self.firstSync(harness, token: token, formats: .array(formats.map { .integer(Int64($0)) }))
        #expect(!snapshots.isEmpty)
        #expect(snapshots.allSatisfy { $0.0 == 2 }, "versions \(snapshots.map(\.0))")
        let shared = try #require(snapshots.first { $0.1.historyCount == 3 })
        for (field, value) in expected { #expect(try shared.1.get(.root, field) == .scalar(value)) }
        await harness.stop()
    }

    @Test func version1OnlyIsAnsweredInVersion1ByTheSwiftClientTypesToo() async throws {
        let (harness, token, _) = try await Self.relayWithADeal()
        let snapshots = try await Self.firstSync(harness, token: token, formats: .array([.integer(1)]))
        #expect(!snapshots.isEmpty && snapshots.allSatisfy { $0.0 == 1 })
        // This build announces every version it reads.
        #expect(SyncRequest(cursor: .start, push: []).snapshotFormats == [1, 2])
        await harness.stop()
    }

    /// A compacted deal has no format 1 form: a device that reads only format 1 is told to
    /// update, with a 400 naming the deal, not a 500.
    @Test func aCompactedDealCannotBeSentInFormat1() async throws {
        let (harness, token, _) = try await Self.relayWithADeal()
        _ = try await harness.server.relay.compact(receivedBefore: Date().addingTimeInterval(60))
        let answer = try await harness.request("POST", "/v1/sync", token: token, body: Self.body(formats: nil))
        #expect(answer.status == 400, "\(answer.status) \(answer.text)")
        #expect(answer.text.contains("history was compacted") && answer.text.contains("update the app"), "\(answer.text)")
        let current = try await Self.firstSync(harness, token: token, formats: .array([.integer(1), .integer(2)]))
        #expect(!current.isEmpty && current.allSatisfy { $0.0 == 2 && !$0.1.horizon.isEmpty })
        await harness.stop()
    }

    @Test(arguments: [
        (SchemaJSON.array([]), "at least one"),
        (.array([.integer(0)]), "1…255"),
        (.array([.integer(7)]), "names no snapshot format this relay writes (1, 2)"),
    ])
    func formatsThatCannotBeServedAre400NamingTheField(formats: SchemaJSON, message: String) async throws {
        let (harness, token, _) = try await Self.relayWithADeal()
        let answer = try await harness.request("POST", "/v1/sync", token: token, body: Self.body(formats: formats))
        #expect(answer.status == 400, "\(answer.status) \(answer.text)")
        #expect(answer.text.contains("snapshotFormats") && answer.text.contains(message), "\(answer.text)")
        await harness.stop()
    }
}
