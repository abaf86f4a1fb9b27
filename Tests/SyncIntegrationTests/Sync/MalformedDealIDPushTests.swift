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

/// A push item whose deal id breaks the syntax, or whose document is neither card, is
/// refused alone as `malformed` with its index (protocol-spec/sync.md, "Deal ids"), against
/// a real relay: the other items of the same request are stored. Once such an item failed
/// the whole request with `400 bad_request`.
@Suite("Push items with a malformed deal id")
struct MalformedDealIDPushTests {
    /// What every unreadable item's refusal names instead of a change.
    static let placeholder = ChangeRef(deal: DealID("-")!, document: .shared, change: ChangeID(replica: ReplicaID(1), seq: 0))

    /// One push item as a client in another language could write it.
    static func item(deal: String, document: String = "shared", _ change: Change) -> SchemaJSON {
        .object(["deal": .string(deal), "document": .string(document), "change": .string(Data(change.encoded()).base64EncodedString())])
    }

    static func body(cursor: Int64, _ items: [SchemaJSON]) -> String {
        SchemaJSON.object(["protocol": .integer(1), "cursor": .integer(cursor), "push": .array(items), "wait": .integer(0)]).canonicalText
    }

    @Test(arguments: ["bad deal!", "", String(repeating: "x", count: 65), "сделка-1", "d-1/../../staff"])
    func aBadDealIDRefusesThatItemAloneAndTheOthersAreStored(badID: String) async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let client = HandMadeClient(harness, device: sales)
        let deal = DealID("d-good")!
        let document = Document(replica: client.identity.replica)
        let first = try #require(try document.change(metadata: client.metadata) { try $0.put(.root, "vehicle.model", .string("Camry")) })
        let stray = try #require(try Document(replica: .random()).change(metadata: client.metadata) { try $0.put(.root, "vehicle.model", .string("Lada")) })
        let second = try #require(try document.change(metadata: client.metadata) { try $0.put(.root, "vehicle.trim", .string("Prestige")) })

        let body = Self.body(cursor: 0, [Self.item(deal: deal.rawValue, first), Self.item(deal: badID, stray), Self.item(deal: deal.rawValue, second)])
        let answer = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!, body: body)
        #expect(answer.status == 200, "\(answer.status) \(answer.text)")
        let response = try JSONDecoder().decode(SyncResponse.self, from: Data(answer.body))
        #expect(response.accepted == [ChangeRef(deal: deal, document: .shared, change: first.id),
                                      ChangeRef(deal: deal, document: .shared, change: second.id)])
        let refusal = try #require(response.refused.first)
        #expect(response.refused.count == 1)
        #expect(refusal.code == .malformed && refusal.index == 1 && refusal.ref == Self.placeholder, "\(refusal)")
        #expect(refusal.reason.hasPrefix("push item 1 names deal "), "\(refusal.reason)")
        #expect(refusal.reason.contains("which is not a deal id: \(DealID.problem(with: badID)!)"), "\(refusal.reason)")
        #expect(refusal.reason.utf8.count < 300, "the reason repeats at most a prefix of what was sent")
        // Stored: the two good items; the stray change is nowhere.
        #expect(try await harness.loggedChanges(deal.rawValue) == 2)
        #expect(try await harness.server.relay.quarantineReasons().isEmpty)
        await harness.stop()
    }

    @Test func aDocumentThatIsNeitherCardRefusesThatItemAlone() async throws {
        let harness = try SyncHarness()
        let sales = try harness.device("olga", .sales, channel: .pc)
        let client = HandMadeClient(harness, device: sales)
        let deal = DealID("d-good")!
        let document = Document(replica: client.identity.replica)
        let first = try #require(try document.change(metadata: client.metadata) { try $0.put(.root, "vehicle.model", .string("Camry")) })
        let body = Self.body(cursor: 0, [Self.item(deal: "d-other", document: "shard", first), Self.item(deal: deal.rawValue, first)])
        let answer = try await harness.request("POST", "/v1/sync", token: sales.store.identity.token!, body: body)
        #expect(answer.status == 200, "\(answer.status) \(answer.text)")
        let response = try JSONDecoder().decode(SyncResponse.self, from: Data(answer.body))
        #expect(response.accepted == [ChangeRef(deal: deal, document: .shared, change: first.id)])
        let refusal = try #require(response.refused.first)
        #expect(refusal.code == .malformed && refusal.index == 0, "\(refusal)")
        // The deal id was readable, so the placeholder keeps it.
        #expect(refusal.ref == ChangeRef(deal: DealID("d-other")!, document: .shared, change: ChangeID(replica: ReplicaID(1), seq: 0)))
        #expect(refusal.reason.contains(#"names document "shard""#), "\(refusal.reason)")
        await harness.stop()
    }
}
