import CRDT
@testable import DealCardKit
@testable import SyncCore
import Foundation
import Testing
import TestSupport

@Suite("Device store")
struct DeviceStoreTests {
    @Test func editsAreDurableAcrossReopen() async throws {
        let folder = try TemporaryDirectory()
        let identity = testIdentity("olga", .sales, replica: 0x51)
        let deal: DealID
        do {
            let store = try DeviceStore(creatingAt: folder.path, identity: identity)
            deal = try await store.createDeal(values: ["vehicle.model": .text("Camry")])
            try await store.set(deal, "vehicle.price", parsing: "2 330 000")
            try await store.addRecord(deal, "vehicle.accessories", ["title": .text("Mats"), "quantity": .integer(1)])
            try await store.post(deal, "Welcome!")
            try await store.set(deal, "staff.notes", .text("VIP client"))
            await store.close()
        }
        let reopened = try DeviceStore(openingAt: folder.path)
        #expect(reopened.identity == identity)
        let card = try await reopened.card(deal)
        #expect(card.values["vehicle.model"] == .text("Camry"))
        #expect(card.values["vehicle.price"] == .money(minorUnits: 233_000_000, currency: "RUB"))
        #expect(card.values["vehicle.accessories"] == .list([.record(["title": .text("Mats"), "quantity": .integer(1)])]))
        #expect(card.values["conversation.messages"] == .list([.record(["text": .text("Welcome!"), "author": .text("olga")])]))
        #expect(card.values["staff.notes"] == .text("VIP client"))
        #expect(try await reopened.outboxCount() == 5, "create, price, accessory, message, staff card with notes")
        #expect(try await reopened.deals().map(\.id) == [deal])
    }

    @Test func aForbiddenEditIsRefusedBeforeItIsMadeAndChangesNothing() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("ivan", .buyer, channel: .web, replica: 0x61))
        let deal = try await store.createDeal(values: ["vehicle.model": .text("RAV4")])
        let before = try await store.card(deal)
        let outbox = try await store.outboxCount()
        await #expect(throws: StoreError.self) { try await store.set(deal, "vehicle.price", .money(minorUnits: 1, currency: "RUB")) }
        let refusal = await #expect(throws: StoreError.self) { try await store.set(deal, "tradeIn.appraisedValue", parsing: "500 000") }
        #expect(refusal.map { "\($0)" }?.contains("role buyer may not write tradeIn.appraisedValue") == true)
        await #expect(throws: StoreError.self) { try await store.set(deal, "staff.notes", .text("x")) }
        await #expect(throws: StoreError.self) { try await store.set(deal, "credit.termMonths", parsing: "three years") }
        await #expect(throws: StoreError.self) { try await store.set(deal, "vehicle.modle", parsing: "x") }
        #expect(try await store.card(deal) == before)
        #expect(try await store.outboxCount() == outbox)
    }

    @Test func moneyConflictsAreSurfacedAndResolved() async throws {
        let folder = try TemporaryDirectory()
        let buyer = try DeviceStore(creatingAt: folder.file("buyer"), identity: testIdentity("ivan", .buyer, channel: .kiosk, replica: 0x71))
        let sales = try DeviceStore(creatingAt: folder.file("sales"), identity: testIdentity("olga", .sales, channel: .pc, replica: 0x72))
        let deal = try await sales.createDeal(values: ["vehicle.model": .text("Camry")])
        try await deliverOutbox(from: sales, to: buyer)
        try await buyer.set(deal, "credit.downPayment", parsing: "300 000")
        try await sales.set(deal, "credit.downPayment", parsing: "350 000")
        try await exchange(buyer, sales)
        try await exchange(sales, buyer)
        let buyerCard = try await buyer.card(deal)
        let salesCard = try await sales.card(deal)
        let conflicts = try #require(buyerCard.conflicts["credit.downPayment"])
        #expect(conflicts.count == 2)
        #expect(Set(conflicts.compactMap { $0.author?.user }) == ["ivan", "olga"])
        #expect(Set(conflicts.compactMap(\.value)) == [.money(minorUnits: 30_000_000, currency: "RUB"), .money(minorUnits: 35_000_000, currency: "RUB")])
        #expect(salesCard.values["credit.downPayment"] == buyerCard.values["credit.downPayment"])
        try await sales.resolve(deal, "credit.downPayment", .money(minorUnits: 32_000_000, currency: "RUB"))
        try await exchange(sales, buyer)
        #expect(try await buyer.card(deal).conflicts["credit.downPayment"] == nil)
        #expect(try await buyer.card(deal).values["credit.downPayment"] == .money(minorUnits: 32_000_000, currency: "RUB"))
    }

    @Test func theBuyerNeverReadsTheStaffCard() async throws {
        let folder = try TemporaryDirectory()
        let buyer = try DeviceStore(creatingAt: folder.path, identity: testIdentity("ivan", .buyer, replica: 0x81))
        let deal = try await buyer.createDeal()
        await #expect(throws: StoreError.self) { try await buyer.applyRemote(deal, .staff, []) }
        #expect(try await buyer.card(deal).documents == [.shared])
    }

    @Test func historyNamesWhoWhereAndWhat() async throws {
        let folder = try TemporaryDirectory()
        let times = LockedCounter(start: 1_763_900_000_000)
        let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, channel: .pc, replica: 0x91),
                                    clock: { times.next() })
        let deal = try await store.createDeal()
        try await store.set(deal, "vehicle.price", parsing: "2330000")
        let history = try await store.history(deal)
        let last = try #require(history.last)
        #expect(last.author?.user == "olga")
        #expect(last.author?.role == .sales)
        #expect(last.author?.device == "olga-device")
        #expect(last.author?.channel == .pc)
        #expect(last.paths == ["vehicle.price"])
        #expect(last.edits.first?.hasPrefix("vehicle.price = 2") == true)
        #expect(try await store.card(deal).stages.first { $0.stage == .vehicle }?.lastChannel == .pc)
    }

    @Test func observersHearLocalAndRemoteChanges() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.file("a"), identity: testIdentity("olga", .sales, replica: 0xA1))
        let other = try DeviceStore(creatingAt: folder.file("b"), identity: testIdentity("petr", .sales, replica: 0xA2))
        let deal = try await store.createDeal()
        let events = await store.events(for: deal)
        try await store.set(deal, "vehicle.model", .text("Camry"))
        try await deliverOutbox(from: store, to: other)
        try await other.set(deal, "vehicle.color", .text("white"))
        try await exchange(other, store)
        var iterator = events.makeAsyncIterator()
        let first = await iterator.next()
        let second = await iterator.next()
        #expect(first?.origin == .local)
        #expect(second?.origin == .remote)
        #expect(second?.deal == deal)
    }

    @Test func manyEditsAreFoldedIntoSnapshotsAndSurviveReopen() async throws {
        let folder = try TemporaryDirectory()
        let deal: DealID
        do {
            let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xB1))
            deal = try await store.createDeal()
            for index in 0..<(DeviceStore.changesPerSnapshot * 2 + 5) {
                try await store.set(deal, "tradeIn.mileageKm", .integer(Int64(index)))
            }
            await store.close()
        }
        let reopened = try DeviceStore(openingAt: folder.path)
        #expect(try await reopened.card(deal).values["tradeIn.mileageKm"] == .integer(Int64(DeviceStore.changesPerSnapshot * 2 + 4)))
        let rows = try await reopened.rowCount("changes")
        #expect(rows < DeviceStore.changesPerSnapshot)
    }

    @Test(arguments: [false, true])
    func aChangeThatComesTwiceInOneBatchIsStoredOnce(refusedFirst: Bool) async throws {
        let folder = try TemporaryDirectory()
        let deal = DealID("d-twice")!
        let source = Document(replica: ReplicaID(0xB3))
        let change = try source.change { try $0.put(.root, "vehicle.model", .string("Camry")) }!
        let later = try source.change { try $0.put(.root, "vehicle.color", .string("white")) }!
        // The same id again: the very change, or first a forgery of it that is refused.
        let batch = refusedFirst ? [change.withStartOp(0), change, later] : [change, change, later]
        do {
            let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xB2))
            let report = try await store.applyRemote(deal, .shared, batch)
            #expect(report.applied == [change.id, later.id])
            #expect(report.refused.count == (refusedFirst ? 1 : 0))
            #expect(try await store.storedChanges(deal, .shared).map(\.blob) == [change.encoded(), later.encoded()])
            await store.close()
        }
        let reopened = try DeviceStore(openingAt: folder.path)
        let values = try await reopened.card(deal).values
        #expect(values["vehicle.model"] == .text("Camry"))
        #expect(values["vehicle.color"] == .text("white"))
    }
}

/// A thread-safe increasing clock for tests.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    init(start: Int64) { value = start }

    func next() -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        value += 1000
        return value
    }
}
