@testable import CRDT
@testable import DealCardKit
@testable import RelayClient
@testable import SyncCore
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import RelayTestSupport
import Testing

/// The hostile pushes that once took a dealership down, each against a real relay: the relay
/// refuses them with a code of its own, and everyone else keeps syncing.
@Suite("Hostile changes", .serialized)
struct HostileChangeTests {
    /// A buyer's deal with the buyer device and a sales device synced.
    private func buyerDeal(_ harness: SyncHarness) async throws -> (buyer: TestDevice, sales: TestDevice, deal: DealID) {
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        let sales = try harness.device("olga", .sales, channel: .pc)
        let deal = try await buyer.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await buyer.sync()
        try await sales.sync()
        return (buyer, sales, deal)
    }

    @Test func aChangeWhoseCountersJumpIsRefusedAndTheDealStaysWritable() async throws {
        let harness = try SyncHarness()
        let (buyer, sales, deal) = try await buyerDeal(harness)
        // A fresh replica of the buyer's, no deps, one op, startOp 2^62 - 2.
        let client = HandMadeClient(harness, device: buyer)
        let forged = try Document(replica: .random()).change(metadata: client.metadata) { tx in
            try tx.put(.root, "credit.downPayment", .int(1))
        }!.withStartOp((1 << 62) - 2)
        let answer = try await client.push(forged, deal: deal)
        #expect(answer.accepted.isEmpty)
        #expect(answer.refused.map(\.code) == [.counterJump], "\(answer.refused)")
        // One more past the rule, from the buyer's real state.
        let state = try await client.document(deal)
        let ahead = try state.change(metadata: client.metadata) { try $0.put(.root, "credit.downPayment", .int(2)) }!
        let aheadAnswer = try await client.push(ahead.withStartOp(ahead.startOp + 1), deal: deal)
        #expect(aheadAnswer.refused.map(\.code) == [.counterJump], "\(aheadAnswer.refused)")
        // Everyone goes on: staff edit, an integration write, devices sync both ways.
        try await sales.store.set(deal, "vehicle.price", .money(minorUnits: 2_330_000_00, currency: "RUB"))
        try await sales.sync()
        try await buyer.store.set(deal, "credit.downPayment", .money(minorUnits: 300_000_00, currency: "RUB"))
        let report = try await buyer.sync()
        #expect(report.refused.isEmpty)
        try await sales.sync()
        #expect(try await sales.card(deal).values["credit.downPayment"] == .money(minorUnits: 300_000_00, currency: "RUB"))
        await harness.stop()
    }

    @Test func anUnloadableLogEntryIsSetAsideAndEveryoneKeepsSyncing() async throws {
        let harness = try SyncHarness()
        let (_, sales, deal) = try await buyerDeal(harness)
        let head = try harness.token("nina", .head)
        await harness.stop()
        // As an older relay could have stored it: bytes that do not decode, in the deal's log.
        let storage = try SQLiteRelayStorage(directory: harness.folder.file("relay"))
        let author = LogAuthor(user: "ivan", role: .buyer, device: "ivan-web", channel: .web)
        // And one that decodes but breaks the Lamport rule (stored before the rule existed).
        let jumped = try Document(replica: ReplicaID(78)).change(metadata: ChangeAuthor(user: "ivan", role: .buyer, device: "ivan-web",
                                                                                          channel: .web, time: 1).encoded()) { tx in
            try tx.put(.root, "credit.downPayment", .int(1))
        }!.withStartOp((1 << 62) - 2)
        _ = try storage.appendChanges([
            NewLogEntry(dealership: "north", deal: deal, document: .shared, replica: 77, changeSequence: 1,
                        blob: [0x44, 0x53, 0x59, 0x4E, 1, 1, 9, 9, 9, 9, 9], author: author, receivedAt: Date()),
            NewLogEntry(dealership: "north", deal: deal, document: .shared, replica: 78, changeSequence: 1,
                        blob: jumped.encoded(), author: author, receivedAt: Date()),
        ])
        storage.close()
        try await harness.restartRelay()
        // An existing device's pull (first, before anything loaded the deal), a new device's
        // first sync and analytics all answer.
        #expect(try await sales.sync().refused.isEmpty)
        let fresh = try harness.device("boris", .finance, channel: .pc)
        try await fresh.sync()
        #expect(try await fresh.card(deal).values["vehicle.model"] == .text("Camry"))
        let analytics = try await harness.request("GET", "/v1/analytics", token: head)
        #expect(analytics.status == 200, "\(analytics.text)")
        // The entry is quarantined for an operator and counted.
        let quarantined = try await harness.server.relay.quarantineReasons()
        #expect(quarantined.filter { $0.hasPrefix("unloadable: log entry") }.count == 2, "\(quarantined)")
        let metrics = try await harness.request("GET", "/metrics", token: head)
        #expect(metrics.text.contains("relay_log_entries_unloadable_total 2"), "\(metrics.text)")
        // Neither is served: a device reading the log from its start gets past them.
        try await sales.store.set(deal, "vehicle.price", .money(minorUnits: 1_000_00, currency: "RUB"))
        #expect(try await sales.sync().refused.isEmpty)
        try await fresh.sync()
        #expect(try await fresh.card(deal).values["vehicle.price"] == .money(minorUnits: 1_000_00, currency: "RUB"))
        await harness.stop()
    }

    @Test func anOversizedValueNeverGetsInAndPullsPageByBytes() async throws {
        let harness = try SyncHarness()
        let (buyer, sales, deal) = try await buyerDeal(harness)
        let client = HandMadeClient(harness, device: buyer)
        // 6 MB in one value: refused whole, not stored.
        var state = try await client.document(deal)
        let huge = try state.change(metadata: client.metadata) {
            try $0.put(.root, "vehicle.model", .string(String(repeating: "x", count: 6_000_000)))
        }!
        let answer = try await client.push(huge, deal: deal)
        #expect(answer.refused.map(\.code) == [.tooLarge], "\(answer.refused)")
        // Many values just under the budget: a device's pull pages by bytes and gets them all.
        state = try await client.document(deal)
        var blobs: [[UInt8]] = []
        for index in 0..<70 {
            let text = String(repeating: Character(String(index % 10)), count: CardBudget.standard.valueBytes - 8)
            blobs.append(try state.change(metadata: client.metadata) { try $0.put(.root, "vehicle.model", .string(text)) }!.encoded())
        }
        let pushed = try await client.pushAll(blobs, deal: deal)
        #expect(pushed.accepted.count == 70, "\(pushed.refused.prefix(2))")
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: sales.store.identity.token!)
        let page: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 1, push: []))
        #expect(page.more)
        #expect(page.changes.count < 70)
        #expect(page.changes.reduce(0) { $0 + $1.change.utf8.count } < 2 * Relay.answerBytes)
        try await sales.sync()
        #expect(try await sales.card(deal).values["vehicle.model"] == .text(String(repeating: "9", count: CardBudget.standard.valueBytes - 8)))
        await harness.stop()
    }

    @Test func theDeviceRefusesAnOversizedValueBeforeMakingAnEdit() async throws {
        let harness = try SyncHarness()
        let (buyer, _, deal) = try await buyerDeal(harness)
        let big = String(repeating: "y", count: CardBudget.standard.valueBytes + 1)
        await #expect(throws: StoreError.self) { try await buyer.store.set(deal, "vehicle.model", .text(big)) }
        #expect(try await buyer.card(deal).values["vehicle.model"] == .text("Camry"))
        await harness.stop()
    }

    @Test func aChangeOverTheOpBudgetIsRefused() async throws {
        let harness = try SyncHarness()
        let (buyer, _, deal) = try await buyerDeal(harness)
        let client = HandMadeClient(harness, device: buyer)
        let state = try await client.document(deal)
        let tooMany = try state.change(metadata: client.metadata) { tx in
            for index in 0...CardBudget.standard.opsPerChange { try tx.put(.root, "vehicle.color", .string("c\(index)")) }
        }!
        let answer = try await client.push(tooMany, deal: deal)
        #expect(answer.refused.map(\.code) == [.tooLarge] || answer.refused.map(\.code) == [.malformed], "\(answer.refused)")
        #expect(answer.accepted.isEmpty)
        await harness.stop()
    }

    /// `count` changes of `size` record inserts each into a deal's conversation.
    private func recordInserts(_ client: HandMadeClient, deal: DealID, changes count: Int, size: Int) async throws -> [[UInt8]] {
        let state = try await client.document(deal)
        guard case .object(let list, _)? = try state.get(.root, "conversation.messages") else {
            Issue.record("no conversation list")
            return []
        }
        var blobs: [[UInt8]] = []
        for _ in 0..<count {
            let start = try state.length(list)
            blobs.append(try state.change(metadata: client.metadata) { tx in
                for index in 0..<size { _ = try tx.insertObject(list, at: start + index, .map) }
            }!.encoded())
        }
        return blobs
    }

    /// End to end with the real budget (110,000 ops: slow in a debug build, so behind
    /// `SYNC_SLOW_TESTS=1`); ``theRequestOpBudgetLeavesTheRestForTheNextRound()`` proves the
    /// rule itself in every run.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SYNC_SLOW_TESTS"] != nil))
    func aPushOverTheRequestBudgetIsAnsweredInPartsAndCompletes() async throws {
        let harness = try SyncHarness()
        let (buyer, sales, deal) = try await buyerDeal(harness)
        let other = try await buyer.store.createDeal()
        try await buyer.sync()
        let client = HandMadeClient(harness, device: buyer)
        // Two deals, so that no document passes its own budget.
        let size = CardBudget.standard.opsPerChange
        var remaining = try await recordInserts(client, deal: deal, changes: 6, size: size).map { PushedChange(deal: deal, document: .shared, change: $0) }
            + (try await recordInserts(client, deal: other, changes: 5, size: size)).map { PushedChange(deal: other, document: .shared, change: $0) }
        var rounds = 0
        while !remaining.isEmpty {
            rounds += 1
            let answer: SyncResponse = try await client.connection.post("v1/sync", SyncRequest(cursor: 1, push: remaining))
            #expect(answer.refused.isEmpty, "\(answer.refused.prefix(1))")
            #expect(!answer.accepted.isEmpty, "a round made no progress")
            guard !answer.accepted.isEmpty else { break }
            remaining.removeFirst(answer.accepted.count)
        }
        // 110,000 ops cannot fit one request's budget of 100,000; all of it is in the log.
        #expect(rounds >= 2)
        _ = sales
        #expect(try await harness.loggedChanges(deal.rawValue) >= 7)
        #expect(try await harness.loggedChanges(other.rawValue) >= 6)
        await harness.stop()
    }

    @Test func theRequestOpBudgetLeavesTheRestForTheNextRound() throws {
        let deal = DealID("d-budget")!
        func change(_ seq: UInt64, ops: Int) throws -> PushedChange {
            let doc = Document(replica: ReplicaID(5))
            let made = try doc.change { tx in for index in 0..<ops { try tx.put(.root, "k\(index)", .int(Int64(seq))) } }!
            return PushedChange(deal: deal, document: .shared, change: made.encoded())
        }
        let items = [try change(1, ops: 600), try change(2, ops: 600), try change(3, ops: 600)]
        let decoded = DecodedPush.decode(items, opsPerRequest: 1_000)
        #expect(decoded.items.map(\.index) == [0])
        #expect(decoded.deferred == 2)
        // The first item is always taken, however large; the budget then counts from it.
        let one = DecodedPush.decode(items, opsPerRequest: 100)
        #expect(one.items.count == 1 && one.deferred == 2)
        #expect(DecodedPush.decode(items, opsPerRequest: 1_200).items.count == 2)
        // Undecodable items cost no ops and are answered (as malformed).
        let mixed = DecodedPush.decode([PushedChange(deal: deal, document: .shared, change: [1, 2, 3])] + items, opsPerRequest: 1_000)
        #expect(mixed.items.count == 2 && mixed.deferred == 2)
    }

    @Test func readingOldEntriesAgainDoesNotReloadTheirDocuments() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        for _ in 0..<3 { try await buyer.store.createDeal() }
        try await buyer.sync()
        try await harness.restartRelay()
        await harness.server.relay.setDocumentCapacity(1)
        let connection = RelayConnection(baseURL: URL(string: harness.url)!, token: buyer.store.identity.token!)
        func loads() -> Double { harness.server.relay.metrics.documentsLoaded.value }
        // A client that asks for the log from its start, again and again (as a hostile one may).
        let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 1, push: []))
        let first = loads()
        #expect(first >= 1)
        for _ in 0..<3 { let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 1, push: [])) }
        #expect(loads() == first, "re-reading old entries rebuilt their documents again")
        await harness.stop()
    }

    @Test func theDocumentCacheStaysWithinItsBytesWhateverIsPushed() async throws {
        let harness = try SyncHarness()
        let buyer = try harness.device("ivan", .buyer, channel: .web)
        var deals: [DealID] = []
        for _ in 0..<3 { deals.append(try await buyer.store.createDeal()) }
        try await buyer.sync()
        let capacity = 1 << 20
        await harness.server.relay.setDocumentCacheBytes(capacity)
        let client = HandMadeClient(harness, device: buyer)
        for deal in deals {
            // Until all is answered: a loaded machine may leave the second for the next round.
            var remaining = try await recordInserts(client, deal: deal, changes: 2, size: 2_000)
            while !remaining.isEmpty {
                let answer = try await client.push(remaining, deal: deal)
                #expect(answer.refused.isEmpty, "\(answer.refused.prefix(1))")
                guard !answer.accepted.isEmpty else { break }
                remaining.removeFirst(answer.accepted.count)
                #expect(await harness.server.relay.cachedDocumentWeight() <= capacity)
            }
        }
        // Dropped documents are rebuilt from the log: a new device gets everything.
        let sales = try harness.device("olga", .sales, channel: .pc)
        try await sales.sync()
        for deal in deals { #expect(try await sales.store.card(deal).id == deal) }
        #expect(await harness.server.relay.cachedDocumentWeight() <= capacity)
        await harness.stop()
    }

    @Test func anExactRetryOfStoredBytesIsAcknowledgedWhateverTheirEncoding() async throws {
        let harness = try SyncHarness()
        let (buyer, _, deal) = try await buyerDeal(harness)
        let client = HandMadeClient(harness, device: buyer)
        let state = try await client.document(deal)
        let change = try state.change(metadata: client.metadata) { tx in
            try tx.put(.root, "vehicle.trim", .string("Prestige"))
            try tx.put(.root, "vehicle.color", .string("white"))
        }!
        let plain = change.encoded()
        let spelledOut = try #require(EncodingVariants.withoutSameObjectBit(plain, secondKey: "vehicle.color"))
        #expect(spelledOut != plain)
        #expect(try Change(encoded: spelledOut) == change)
        let first = try await client.push([spelledOut], deal: deal)
        #expect(first.accepted.count == 1, "\(first.refused)")
        // The lost-acknowledgement retry, byte for byte, and the canonical bytes: both acknowledged.
        let retry = try await client.push([spelledOut], deal: deal)
        #expect(retry.accepted.count == 1 && retry.refused.isEmpty, "\(retry.refused)")
        let canonical = try await client.push([plain], deal: deal)
        #expect(canonical.accepted.count == 1 && canonical.refused.isEmpty, "\(canonical.refused)")
        #expect(try await harness.server.relay.quarantineReasons().isEmpty)
        await harness.stop()
    }

    @Test(arguments: ["vehicle.options.0.price", "documents.items.zz.kind", "vehicle.options.0"])
    func aRootKeyBelowAListFieldIsRefused(key: String) async throws {
        let harness = try SyncHarness()
        let (buyer, _, deal) = try await buyerDeal(harness)
        let client = HandMadeClient(harness, device: buyer)
        let state = try await client.document(deal)
        // As the hostile client did: a new empty list under the sub-path (which passed as the
        // list field's own container), and a scalar.
        let container = try state.fork(as: client.identity.replica).change(metadata: client.metadata) { _ = try $0.putObject(.root, key, .list) }!
        let scalar = try state.change(metadata: client.metadata) { try $0.put(.root, key, .string("1")) }!
        for change in [container, scalar] {
            let answer = try await client.push(change, deal: deal)
            #expect(answer.accepted.isEmpty)
            #expect(answer.refused.first?.code == .badStructure, "\(answer.refused)")
        }
        await harness.stop()
    }

    @Test func aHiddenDealAndAMissingOneAnswerAlike() async throws {
        let harness = try SyncHarness()
        let (buyer, _, deal) = try await buyerDeal(harness)
        let client = HandMadeClient(harness, device: buyer)
        let hidden = try Document(replica: .random()).change(metadata: client.metadata) { try $0.put(.root, "staff.margin", .int(1)) }!
        let missing = DealID("dms-order-1002")!
        let toHidden = try await client.push(hidden, deal: deal, .staff)
        let toMissing = try await client.push(hidden, deal: missing, .staff)
        let one = try #require(toHidden.refused.first)
        let other = try #require(toMissing.refused.first)
        #expect(one.code == other.code)
        #expect(one.reason.replacingOccurrences(of: deal.rawValue, with: "X") == other.reason.replacingOccurrences(of: missing.rawValue, with: "X"))
        await harness.stop()
    }

    @Test(arguments: [
        #"{"protocol":1,"cursor":0,"push":[],"wait":0,"bootstrapCursor":-5}"#,
        #"{"protocol":1,"cursor":0,"push":[],"wait":0,"bootstrapCursor":999999}"#,
        #"{"protocol":1,"cursor":3,"push":[],"wait":0,"snapshotsAfter":"d-1"}"#,
        #"{"protocol":1,"cursor":-1,"push":[],"wait":0}"#,
    ])
    func everyCursorFieldIsValidated(body: String) async throws {
        let harness = try SyncHarness()
        let (buyer, _, _) = try await buyerDeal(harness)
        let answer = try await harness.request("POST", "/v1/sync", token: buyer.store.identity.token!, body: body)
        #expect(answer.status == 400 || (answer.status == 409 && answer.errorCode == "cursor_ahead"), "\(answer.status) \(answer.text)")
        #expect(!answer.text.contains(#""cursor":-5"#))
        await harness.stop()
    }

    @Test func aDealIDTakenInAnotherDealershipIsNotTakenHere() async throws {
        let harness = try SyncHarness()
        // A buyer of dealership south takes the id that north's DMS will use next.
        let squatter = try harness.device("mallory", .buyer, channel: .web, dealership: "south")
        let id = DealID("dms-order-1002")!
        try await squatter.store.createDeal(id: id, values: ["vehicle.model": .text("Lada")])
        #expect(try await squatter.sync().accepted >= 1)
        // North's connector creates it, updates it, and north's staff see only north's deal.
        let crm = try harness.token("crm", .integration, dealership: "north")
        let created = try await harness.integrationPost("/v1/integration/deals", token: crm, #"{"deal": "dms-order-1002", "fields": {"status.crmId": "CRM-1"}}"#)
        #expect(created.status == 200, "\(created.text)")
        let updated = try await harness.integrationPost("/v1/integration/deals/dms-order-1002", token: crm, #"{"fields": {"status.crmId": "CRM-2"}}"#)
        #expect(updated.status == 200, "\(updated.text)")
        let sales = try harness.device("olga", .sales, channel: .pc, dealership: "north")
        try await sales.sync()
        let card = try await sales.card(id)
        #expect(card.values["status.crmId"] == .text("CRM-2"))
        #expect(card.values["vehicle.model"] == nil)
        // And south's buyer still has his own, untouched.
        try await squatter.sync()
        #expect(try await squatter.card(id).values["vehicle.model"] == .text("Lada"))
        #expect(try await squatter.card(id).values["status.crmId"] == nil)
        await harness.stop()
    }

    @Test func aUserWithASlashCannotTakeAnotherUsersReplica() async throws {
        let harness = try SyncHarness()
        // User "north/olga" on her device owns a replica.
        let olga = try harness.device("north/olga", .sales, channel: .pc)
        let victimDevice = olga.store.identity.device
        let deal = try await olga.store.createDeal()
        try await olga.sync()
        // User "north", token without a device, claims device "olga/<her device>" under that
        // replica: the same text once user and device are joined with "/".
        let token = try harness.token("north", .sales)
        let identity = DeviceIdentity(replica: olga.store.identity.replica, user: "north", role: .sales, dealership: "north",
                                      device: "olga/" + victimDevice, channel: .pc, server: harness.url, token: token)
        let client = HandMadeClient(url: harness.url, identity: identity)
        let state = try await client.document(deal)
        let change = try state.change(metadata: client.metadata) { try $0.put(.root, "vehicle.model", .string("Lada")) }!
        let answer = try await client.push(change, deal: deal)
        #expect(answer.accepted.isEmpty)
        #expect(answer.refused.first?.code == .impersonation, "\(answer.refused)")
        // The owner's next change still gets in.
        try await olga.store.set(deal, "vehicle.model", .text("Camry"))
        #expect(try await olga.sync().refused.isEmpty)
        await harness.stop()
    }
}

/// Other spellings of the same change, as another encoder may write them.
enum EncodingVariants {
    /// `blob` with the second op's "same object" bit cleared and its (root) object written
    /// out: the same change in other bytes. The second op must be a map write of `secondKey`.
    static func withoutSameObjectBit(_ blob: [UInt8], secondKey: String) -> [UInt8]? {
        let key = Array(secondKey.utf8)
        let marker = [UInt8(0x80), UInt8(key.count)] + key
        guard key.count < 128, let start = firstIndex(of: marker, in: blob) else { return nil }
        var body = Array(blob[4..<(blob.count - 4)])
        let at = start - 4
        body[at] = 0x00
        body.insert(0x00, at: at + 1)
        var framed = Array(blob[0..<4]) + body
        var checksum: UInt32 = CRC32.checksum(body[...])
        for _ in 0..<4 {
            framed.append(UInt8(truncatingIfNeeded: checksum))
            checksum >>= 8
        }
        return framed
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

extension Relay {
    /// Bounds the document cache's estimated bytes (tests).
    func setDocumentCacheBytes(_ bytes: Int) { sync.cache.byteCapacity = bytes }

    /// The document cache's estimated bytes (tests).
    func cachedDocumentWeight() -> Int { sync.cache.totalWeight }

    /// The reasons of the quarantined changes, newest first (tests).
    func quarantineReasons() throws -> [String] {
        try storage.quarantine(limit: 1_000).map(\.entry.reason)
    }
}
