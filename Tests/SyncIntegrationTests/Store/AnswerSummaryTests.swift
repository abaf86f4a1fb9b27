import CRDT
@testable import DealCardKit
@testable import SyncCore
@testable import SyncProtocol
import Foundation
import Testing
import TestSupport

/// A sync answer gives each deal one summary, made after every document of the deal in the
/// answer is applied: it must be the summary the deal's card gives, whatever the way the
/// documents came (one answer, one document at a time, either order, snapshots, split
/// across pages).
@Suite("Summaries of a sync answer")
struct AnswerSummaryTests {
    /// The destinations' clock: every summary's `updatedAt`, so summaries compare whole.
    private static let now: Int64 = 1_750_000_000_000
    private static let clock: @Sendable () -> Int64 = { now }

    /// Deals written on two sales devices and a head's: both cards, concurrent values
    /// (conflicts), records, a collaborative text, a skipped stage, edits on several
    /// channels, and a deal without a staff card. Returns every change, by deal and document.
    private func sourceChanges(in folder: TemporaryDirectory) async throws -> [(deal: DealID, document: DealDocumentKind, changes: [Change])] {
        let olga = try DeviceStore(creatingAt: folder.file("olga"), identity: testIdentity("olga", .sales, channel: .pc, replica: 0x91))
        let petr = try DeviceStore(creatingAt: folder.file("petr"), identity: testIdentity("petr", .sales, channel: .phone, replica: 0x92))
        let anna = try DeviceStore(creatingAt: folder.file("anna"), identity: testIdentity("anna", .head, channel: .tablet, replica: 0x93))

        let camry = try await olga.createDeal(id: DealID("d-camry")!, values: ["vehicle.model": .text("Camry"), "staff.notes": .text("VIP")])
        try await olga.set(camry, "vehicle.price", parsing: "2 330 000")
        try await olga.addRecord(camry, "vehicle.accessories", ["title": .text("Mats / rugs"), "quantity": .integer(2)])
        try await olga.post(camry, "Welcome \"home\"!\n")
        let rav4 = try await olga.createDeal(id: DealID("d-rav4")!, values: ["vehicle.model": .text("RAV4"), "staff.margin": .money(minorUnits: 5_000_000, currency: "RUB")])
        try await olga.skip(rav4, .tradeIn)
        try await olga.set(rav4, "credit.amount", parsing: "1 000 000")
        let sharedOnly = try await olga.createDeal(id: DealID("d-shared")!, values: ["vehicle.color": .text("white")])
        try await olga.set(sharedOnly, "payment.booking", .boolean(true))

        for store in [petr, anna] {
            try await exchange(olga, store)
        }
        // Concurrent writes: a conflict on the price and on the down payment, both cards edited.
        try await olga.set(camry, "credit.downPayment", parsing: "300 000")
        try await petr.set(camry, "credit.downPayment", parsing: "350 000")
        try await olga.set(camry, "vehicle.price", parsing: "2 350 000")
        try await petr.set(camry, "vehicle.price", parsing: "2 300 000")
        try await anna.set(camry, "staff.discountApproved", .boolean(true))
        try await anna.set(rav4, "staff.scoring", .integer(720))
        try await petr.set(rav4, "vehicle.trim", parsing: "Prestige")
        try await petr.skip(rav4, .tradeIn, false)
        for (from, to) in [(petr, olga), (anna, olga)] {
            try await exchange(from, to)
        }

        var found: [(deal: DealID, document: DealDocumentKind, changes: [Change])] = []
        for deal in try await olga.dealIDs() {
            for kind in DealDocumentKind.allCases {
                let changes = try await olga.changes(deal, kind, since: VersionVector())
                if !changes.isEmpty { found.append((deal, kind, changes)) }
            }
        }
        for store in [olga, petr, anna] { await store.close() }
        #expect(found.count == 5, "two deals with both cards, one with the shared card only")
        return found
    }

    /// A fresh store that answers to the fixed clock.
    private func fresh(_ name: String, _ role: Role, replica: UInt64, in folder: TemporaryDirectory) throws -> DeviceStore {
        try DeviceStore(creatingAt: folder.file(name), identity: testIdentity(name, role, replica: replica), clock: Self.clock)
    }

    /// A snapshot blob of `changes` as a relay would send it.
    private func snapshot(_ changes: [Change]) throws -> ReceivedChanges.Snapshot {
        let document = Document(replica: ReplicaID(0xEE))
        _ = document.apply(changes)
        return try ReceivedChanges.Snapshot(blob: document.encodeSnapshot())
    }

    /// The summary of each deal as JSON, made from its card the long way (the whole card read,
    /// the encoder of the standard library): what every stored summary must be.
    private func expectedSummaries(of store: DeviceStore) async throws -> [DealID: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var summaries: [DealID: String] = [:]
        for deal in try await store.dealIDs() {
            let summary = DealSummary(card: try await store.card(deal), updatedAt: Self.now)
            summaries[deal] = String(decoding: try encoder.encode(summary), as: UTF8.self)
        }
        return summaries
    }

    /// The stored summaries, by deal.
    private func storedSummaries(of store: DeviceStore) async throws -> [DealID: String] {
        var summaries: [DealID: String] = [:]
        for row in try await store.dealRows() {
            #expect(row.updatedAt == Self.now)
            summaries[row.id] = row.summary
        }
        return summaries
    }

    @Test func anAnswerWithBothDocumentsOfADealStoresTheSummaryOfApplyingThemOneAtATime() async throws {
        let folder = try TemporaryDirectory()
        let items = try await sourceChanges(in: folder)

        let batched = try fresh("batched", .sales, replica: 0xA1, in: folder)
        try await batched.applyRemote(batch: items)
        let oneByOne = try fresh("one-by-one", .sales, replica: 0xA2, in: folder)
        for item in items { try await oneByOne.applyRemote(item.deal, item.document, item.changes) }
        let reversed = try fresh("reversed", .sales, replica: 0xA3, in: folder)
        for item in items.reversed() { try await reversed.applyRemote(item.deal, item.document, item.changes) }
        let snapshots = try fresh("snapshots", .sales, replica: 0xA4, in: folder)
        try await snapshots.applyRemote(received: try items.map {
            ReceivedChanges(deal: $0.deal, document: $0.document, snapshot: try snapshot($0.changes), changes: [])
        })
        // Pages of a first sync may part a deal's documents: the staff card of d-camry comes
        // in the second answer.
        let paged = try fresh("paged", .sales, replica: 0xA5, in: folder)
        let split = items.firstIndex { $0.deal == DealID("d-camry")! && $0.document == .staff }!
        for page in [items[..<split], items[split...]] {
            try await paged.applyRemote(received: try page.map {
                ReceivedChanges(deal: $0.deal, document: $0.document, snapshot: try snapshot($0.changes), changes: [])
            })
        }

        let expected = try await expectedSummaries(of: oneByOne)
        #expect(expected.count == 3)
        #expect(expected[DealID("d-camry")!]?.contains(#""conflictCount":2"#) == true, "\(expected)")
        for store in [batched, oneByOne, reversed, snapshots, paged] {
            #expect(try await storedSummaries(of: store) == expected, "\(store.folder)")
            #expect(try await expectedSummaries(of: store) == expected, "\(store.folder): the cards agree")
            #expect(try await store.deals() == oneByOne.deals())
        }
        for store in [batched, oneByOne, reversed, snapshots, paged] { await store.close() }
    }

    @Test func aBuyersAnswerSummarizesTheSharedCardOnly() async throws {
        let folder = try TemporaryDirectory()
        let items = try await sourceChanges(in: folder).filter { $0.document == .shared }
        let batched = try fresh("buyer-batched", .buyer, replica: 0xB1, in: folder)
        try await batched.applyRemote(batch: items)
        let oneByOne = try fresh("buyer-one-by-one", .buyer, replica: 0xB2, in: folder)
        for item in items { try await oneByOne.applyRemote(item.deal, item.document, item.changes) }

        let expected = try await expectedSummaries(of: oneByOne)
        #expect(expected.count == 3)
        #expect(try await storedSummaries(of: batched) == expected)
        #expect(try await storedSummaries(of: oneByOne) == expected)
        await batched.close()
        await oneByOne.close()
    }

    @Test func aLaterAnswerRefreshesTheSummaryOfItsDealsOnly() async throws {
        let folder = try TemporaryDirectory()
        let items = try await sourceChanges(in: folder)
        let store = try fresh("later", .sales, replica: 0xC1, in: folder)
        let camry = DealID("d-camry")!
        // The first answer holds all but d-camry's last shared change; the second brings it.
        let shared = items.firstIndex { $0.deal == camry && $0.document == .shared }!
        var first = items
        let last = first[shared].changes.removeLast()
        try await store.applyRemote(batch: first)
        let before = try await storedSummaries(of: store)
        try await store.applyRemote(batch: [(camry, .shared, [last]), (camry, .shared, [last])])

        let after = try await storedSummaries(of: store)
        #expect(after == (try await expectedSummaries(of: store)))
        #expect(after.filter { $0.key != camry } == before.filter { $0.key != camry })
        await store.close()
    }
}

/// A first sync brings every deal; the store does not keep them all in memory.
@Suite("Documents in memory after a sync answer")
struct AnswerMemoryTests {
    @Test func anAnswerBeyondTheCacheLimitLeavesItsDocumentsOnDiskOnly() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.file("device"), identity: testIdentity("olga", .sales, replica: 0xD1))
        // One deal opened before the sync, and kept in memory through it.
        let open = try await store.createDeal(values: ["vehicle.model": .text("Camry")])
        let source = ReplicaID(0xD2)
        let deals = (0..<(DeviceStore.cachedDocumentLimit / 2 + 10)).map { DealID("d-many-\($0)")! }
        var batch: [(deal: DealID, document: DealDocumentKind, changes: [Change])] = []
        for (index, deal) in deals.enumerated() {
            for kind in DealDocumentKind.allCases {
                let document = Document(replica: source)
                let path = kind == .shared ? "vehicle.model" : "staff.scoring"
                let value: ScalarValue = kind == .shared ? .string("Model \(index)") : .int(Int64(index))
                let change = try #require(try document.change(metadata: ChangeAuthor(user: "petr", role: .sales, device: "p", channel: .phone,
                                                                                      time: 1).encoded()) { try $0.put(.root, path, value) })
                batch.append((deal, kind, [change]))
            }
        }
        try await store.applyRemote(batch: batch)
        #expect(await store.cachedDocumentCount() == 1, "only the deal opened before the answer")
        #expect(try await store.card(open).values["vehicle.model"] == .text("Camry"))

        // A document let go reads, edits and summarizes as before, loaded from disk.
        let last = deals[deals.count - 1]
        #expect(try await store.card(last).values["vehicle.model"] == .text("Model \(deals.count - 1)"))
        #expect(try await store.card(last).values["staff.scoring"] == .integer(Int64(deals.count - 1)))
        try await store.set(last, "vehicle.color", .text("white"))
        #expect(try await store.deals().first { $0.id == last }?.model == "Model \(deals.count - 1)")
        await store.close()
        let reopened = try DeviceStore(openingAt: folder.file("device"))
        #expect(try await reopened.card(last).values["vehicle.color"] == .text("white"))
        #expect(try await reopened.deals().count == deals.count + 1)
        await reopened.close()
    }
}
