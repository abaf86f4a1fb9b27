import CRDT
import DealCardKit
import Foundation
import Testing

/// The whole card as an app shows it (`CardReader.card`) and a card's own history.
@Suite("Card reader")
struct CardReaderTests {
    static let id = DealID("d-7k2m9x4qpa3c")!

    /// A deal worked on by the buyer (web, kiosk), the sales manager (pc) and finance
    /// (tablet): vehicle done, trade-in in progress, insurance skipped, staff notes.
    static func workedDeal() throws -> (shared: Document, staff: Document, sales: CardDevice) {
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, device: "pc-12", channel: .pc)
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer, device: "browser-1", channel: .web)
        let finance = CardDevice(0x70, user: "kozlova", role: .finance, device: "tab-2", channel: .tablet)
        try sales.edit(at: CardTime.minutes(10)) { e, d, tx in
            try e.set("vehicle.model", .text("Niva Travel"), in: d, tx)
            try e.set("vehicle.trim", .text("Luxe"), in: d, tx)
            try e.set("vehicle.price", CardValues.rub(233_000_000), in: d, tx)
        }
        cardExchange(sales.document, buyer.document)
        try buyer.set("vehicle.color", .text("White"), at: CardTime.minutes(20))
        try buyer.set("tradeIn.description", .text("Lada 2107, 2004"), at: CardTime.minutes(21))
        buyer.author.channel = .kiosk
        try buyer.edit(at: CardTime.minutes(22)) { e, d, tx in try e.skip(.insurance, true, document: .shared, in: d, tx) }
        // Finance's clock is behind: its credit edit is applied last but is the oldest.
        try finance.set("credit.termMonths", .integer(36), at: CardTime.minutes(5))
        cardExchange(finance.document, buyer.document)
        cardExchange(sales.document, buyer.document)
        // A vehicle edit applied last but made with an older clock (a phone that was
        // offline) does not become the stage's last channel.
        let phone = CardDevice(0x52, user: "ivanova", role: .sales, device: "phone-12", channel: .phone, document: sales.document)
        try phone.set("vehicle.trim", .text("Luxe+"), at: CardTime.minutes(15))
        sales.document.apply(phone.document.changes(since: sales.document.version))
        let staff = CardDevice(0x51, user: "ivanova", role: .sales, device: "pc-12", channel: .pc)
        try staff.set("staff.margin", CardValues.rub(12_000_000), at: CardTime.minutes(30))
        try staff.set("staff.notes", .text("Wants a discount on mats."), at: CardTime.minutes(31))
        return (sales.document, staff.document, sales)
    }

    @Test func staffCardHasStatusesCompletenessAndLastChannels() throws {
        let deal = try Self.workedDeal()
        let reader = CardReader(schema: .standard)
        let card = reader.card(id: Self.id, documents: [.shared: deal.shared, .staff: deal.staff])
        #expect(card.id == Self.id)
        #expect(card.documents == [.shared, .staff])
        #expect(card.values["vehicle.price"] == CardValues.rub(233_000_000))
        #expect(card.values["staff.margin"] == CardValues.rub(12_000_000))
        #expect(card.values["staff.notes"] == .text("Wants a discount on mats."))
        #expect(card.values.count == 8)
        #expect(card.skippedStages == [.insurance])
        #expect(card.conflicts.isEmpty)

        let statuses = Dictionary(uniqueKeysWithValues: card.stages.map { ($0.stage, $0.status) })
        #expect(card.stages.map(\.stage) == Stage.allCases, "every stage, in order, for staff")
        #expect(statuses[.vehicle] == .done)
        #expect(statuses[.tradeIn] == .inProgress, "the appraised value is missing")
        #expect(statuses[.credit] == .inProgress)
        #expect(statuses[.insurance] == .skipped)
        #expect(statuses[.payment] == .untouched)
        #expect(statuses[.assessment] == .done, "no required field, some filled")

        // Required: vehicle 4, trade-in 2, credit 4, payment 3, delivery 2, documents 1,
        // status 1 (insurance's 2 are skipped); filled: vehicle 4, trade-in 1, credit 1.
        #expect(card.completeness == Completeness(filled: 6, required: 17))

        let channels = Dictionary(uniqueKeysWithValues: card.stages.map { ($0.stage, $0.lastChannel) })
        #expect(channels[.vehicle] == .web, "the buyer's color at 09:20 is later than the price at 09:10")
        #expect(channels[.tradeIn] == .web)
        #expect(channels[.insurance] == .kiosk, "the skip marker touches its stage")
        #expect(channels[.credit] == .tablet)
        #expect(channels[.assessment] == .pc)
        #expect(channels[.payment] == .some(nil))
        #expect(channels[.delivery] == .some(nil))
    }

    @Test func lastChannelFollowsTheAuthorsClockNotTheApplyOrder() throws {
        let web = CardDevice(0xB0, user: "petrov", role: .buyer, channel: .web)
        let phone = CardDevice(0xB1, user: "petrov", role: .buyer, device: "phone-1", channel: .phone)
        try web.set("delivery.address", .text("Tverskaya 1"), at: CardTime.minutes(50))
        try phone.set("delivery.method", .enumCase("home"), at: CardTime.minutes(40))
        web.document.apply(phone.document.history)  // the older edit is applied last
        let card = CardReader(schema: .standard).card(id: Self.id, documents: [.shared: web.document])
        #expect(card.stages.first { $0.stage == .delivery }?.lastChannel == .web)
        #expect(card.stages.first { $0.stage == .delivery }?.status == .inProgress)
    }

    @Test func aBuyersCardHasNoStaffValues() throws {
        let deal = try Self.workedDeal()
        // A stray staff key in the shared document (as a forged or buggy write would leave)
        // is not a field of the shared card either.
        try deal.shared.change { tx in try tx.put(.root, "staff.margin", .int(99)) }
        let reader = CardReader(schema: .standard)
        let card = reader.card(id: Self.id, documents: [.shared: deal.shared])
        #expect(card.documents == [.shared])
        #expect(!card.values.keys.contains { $0.hasPrefix("staff.") })
        #expect(!card.conflicts.keys.contains { $0.hasPrefix("staff.") })
        #expect(!card.stages.contains { $0.stage == .assessment }, "no stage only the staff card has")
        #expect(card.values.count == 6)
        #expect(card.completeness == Completeness(filled: 6, required: 17))
        let full = reader.card(id: Self.id, documents: [.shared: deal.shared, .staff: deal.staff])
        #expect(card.values == full.values.filter { !$0.key.hasPrefix("staff.") })
    }

    /// The deal's creator makes every empty list and text up front (`createContainers`), so
    /// that devices edit the same objects. That is not an edit of any stage's fields, but the
    /// history once listed the container paths, giving every stage with a list field a last
    /// channel while the stage was still untouched (regression).
    @Test func creatingEmptyContainersTouchesNoStage() throws {
        let creator = CardDevice(0x50, user: "ivanova", role: .sales, channel: .pc)
        try creator.edit { e, d, tx in try e.createContainers(document: .shared, in: d, tx) }
        let card = CardReader(schema: .standard).card(id: Self.id, documents: [.shared: creator.document])
        #expect(card.stages.allSatisfy { $0.status == .untouched })
        do {
            let touched = card.stages.filter { $0.lastChannel != nil }.map(\.stage)
            #expect(touched == [], "stages with a last channel on a new card")
        }
    }

    @Test func aNewCardIsEmpty() {
        let card = CardReader(schema: .standard).card(id: Self.id, documents: [.shared: Document(replica: ReplicaID(1))])
        #expect(card.values.isEmpty && card.conflicts.isEmpty && card.skippedStages.isEmpty)
        #expect(card.stages.allSatisfy { $0.status == .untouched && $0.lastChannel == nil })
        #expect(card.completeness == Completeness(filled: 0, required: 19))
    }

    @Test func historyNamesAuthorsPathsAndReadableLines() throws {
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, device: "pc-12", channel: .pc)
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer, device: "kiosk-3", channel: .kiosk)
        let first = try #require(try sales.edit(at: CardTime.minutes(1)) { e, d, tx in
            try e.set("vehicle.model", .text("Niva Travel"), in: d, tx)
            try e.set("vehicle.price", CardValues.rub(233_000_050), in: d, tx)
            try e.set("payment.booking", .boolean(true), in: d, tx)
        })
        cardExchange(sales.document, buyer.document)
        try buyer.set("delivery.date", CardValues.date("2025-07-01"), at: CardTime.minutes(2))
        try buyer.edit(at: CardTime.minutes(3)) { e, d, tx in
            try e.clear("vehicle.model", in: d, tx)
            try e.skip(.tradeIn, true, document: .shared, in: d, tx)
        }
        try buyer.edit(at: CardTime.minutes(4)) { e, d, tx in try e.skip(.tradeIn, false, document: .shared, in: d, tx) }
        try buyer.set("credit.termMonths", .integer(36), at: CardTime.minutes(5))
        try buyer.set("payment.method", .enumCase("card"), at: CardTime.minutes(6))

        let history = CardReader(schema: .standard).history(buyer.document, kind: .shared)
        #expect(history.count == 6)
        guard history.count == 6 else { return }
        #expect(history.map(\.document) == Array(repeating: .shared, count: 6))
        #expect(history[0].change == first.id)
        #expect(history[0].author == ChangeAuthor(user: "ivanova", role: .sales, device: "pc-12", channel: .pc, time: CardTime.minutes(1)))
        #expect(history[0].author?.date == Date(timeIntervalSince1970: 1_749_978_060))
        #expect(history[0].paths == ["vehicle.model", "vehicle.price", "payment.booking"])
        #expect(history[0].edits == ["vehicle.model = Niva Travel", "vehicle.price = 2\u{A0}330\u{A0}000,50\u{A0}₽", "payment.booking = yes"])
        #expect(history[1].author == ChangeAuthor(user: "petrov", role: .buyer, device: "kiosk-3", channel: .kiosk, time: CardTime.minutes(2)))
        #expect(history[1].edits == ["delivery.date = 2025-07-01"])
        #expect(history[2].paths == ["vehicle.model", "$skipped.tradeIn"])
        #expect(history[2].edits == ["vehicle.model cleared", "stage tradeIn skipped"])
        #expect(history[3].edits == ["stage tradeIn resumed"])
        #expect(history[4].edits == ["credit.termMonths = 36"])
        #expect(history[5].edits == ["payment.method = card"])
        #expect(history[5].author?.time == CardTime.minutes(6))

        // Another replica shows the same history (the order it applied the changes in).
        let relay = Document(replica: ReplicaID(0x99), changes: buyer.document.history)
        #expect(CardReader(schema: .standard).history(relay, kind: .shared) == history)
    }

    @Test func historyOfListsAndNotes() throws {
        let shared = CardDevice(0x50, user: "ivanova", role: .sales, channel: .pc)
        try shared.edit { e, d, tx in _ = try e.addRecord("vehicle.accessories", ["title": .text("Mats"), "price": CardValues.rub(150_000)], in: d, tx) }
        try shared.edit { e, d, tx in try e.removeRecord("vehicle.accessories", at: 0, in: d, tx) }
        let staff = CardDevice(0x51, user: "ivanova", role: .sales, channel: .pc)
        try staff.set("staff.notes", .text("Call after 6"))
        try staff.set("staff.notes", .text("Call after 7"))
        let reader = CardReader(schema: .standard)
        let sharedHistory = reader.history(shared.document, kind: .shared)
        let staffHistory = reader.history(staff.document, kind: .staff)
        #expect(sharedHistory.map(\.paths) == [["vehicle.accessories"], ["vehicle.accessories"]])
        #expect(staffHistory.map(\.paths) == [["staff.notes"], ["staff.notes"]])
        #expect(sharedHistory.count == 2 && sharedHistory[1].edits == ["vehicle.accessories: record removed"])
        #expect(staffHistory.map(\.edits) == [["staff.notes edited"], ["staff.notes edited"]])
        #expect(staffHistory.allSatisfy { $0.document == .staff && $0.author?.user == "ivanova" })
        do {
            #expect(sharedHistory.first?.edits == ["vehicle.accessories: record added"], "one line per field touched")
        }
    }
}
