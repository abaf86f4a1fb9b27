import CRDT
import DealCardKit
import Testing

/// Concurrent edits of one card on several devices: money conflicts with their authors,
/// concurrently created containers merged.
@Suite("Card conflicts")
struct CardConflictTests {
    @Test func concurrentDownPaymentsAreAConflictWithAuthors() throws {
        // The buyer's replica id is the larger one, so with equal counters his value wins.
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer, device: "kiosk-3", channel: .kiosk, time: CardTime.minutes(1))
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, device: "pc-12", channel: .pc, time: CardTime.minutes(2))
        try buyer.set("vehicle.model", .text("Niva Travel"))
        cardExchange(buyer.document, sales.document)

        let buyerChange = try #require(try buyer.set("credit.downPayment", CardValues.rub(30_000_000)))
        let salesChange = try #require(try sales.set("credit.downPayment", CardValues.rub(50_000_000)))
        #expect(buyer.read().conflicts.isEmpty && sales.read().conflicts.isEmpty, "no conflict before the exchange")
        cardExchange(buyer.document, sales.document)

        let buyerOp = OpID(counter: buyerChange.startOp, replica: buyerChange.replica)
        let salesOp = OpID(counter: salesChange.startOp, replica: salesChange.replica)
        #expect(buyerOp > salesOp)
        for device in [buyer, sales] {
            let read = device.read()
            #expect(read.values["credit.downPayment"] == CardValues.rub(30_000_000), "the same winner on every replica")
            let conflicts = try #require(read.conflicts["credit.downPayment"])
            #expect(conflicts.count == 2)
            #expect(conflicts.first?.value == read.values["credit.downPayment"], "the first conflict is the value shown")
            #expect(conflicts.map(\.opID) == [buyerOp, salesOp])
            #expect(conflicts.map(\.value) == [CardValues.rub(30_000_000), CardValues.rub(50_000_000)])
            #expect(conflicts.map(\.author) == [buyer.author, sales.author])
            #expect(read.conflicts.count == 1, "only the down payment is in conflict")
            let card = device.reader.card(id: DealID("d-conflict")!, documents: [.shared: device.document])
            #expect(card.conflicts == read.conflicts)
        }

        // Finance resolves it: an ordinary write that supersedes both values.
        let finance = CardDevice(0x70, user: "kozlova", role: .finance, device: "pc-7", channel: .pc, time: CardTime.minutes(3),
                                 document: sales.document)
        let resolution = try #require(try finance.set("credit.downPayment", CardValues.rub(40_000_000)))
        guard case .set(_, _, let pred) = resolution.ops.first?.action else { Issue.record("expected a set"); return }
        #expect(pred == [salesOp, buyerOp].sorted())
        cardExchange(finance.document, buyer.document)
        cardExchange(finance.document, sales.document)
        for device in [buyer, sales, finance] {
            #expect(device.read().conflicts.isEmpty)
            #expect(device.read().values["credit.downPayment"] == CardValues.rub(40_000_000))
        }
    }

    @Test func sameValueConcurrentlyIsStillTwoEntriesButAResolutionByEitherSideClearsIt() throws {
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer)
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, channel: .pc)
        try buyer.set("credit.downPayment", CardValues.rub(30_000_000))
        try sales.set("credit.downPayment", CardValues.rub(30_000_000))
        cardExchange(buyer.document, sales.document)
        #expect(buyer.read().conflicts["credit.downPayment"]?.count == 2)
        // The loser resolves by writing again; the other side sees the resolution.
        try sales.set("credit.downPayment", CardValues.rub(35_000_000))
        cardExchange(buyer.document, sales.document)
        #expect(buyer.read().conflicts.isEmpty)
        #expect(buyer.read().values["credit.downPayment"] == CardValues.rub(35_000_000))
    }

    @Test func concurrentlyCreatedListContainersAreMerged() throws {
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer, channel: .web)
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, channel: .pc)
        let hi = CardValues.message("Is the white one in stock?", by: "petrov")
        let hello = CardValues.message("Yes, two of them.", by: "ivanova")
        try buyer.edit { e, d, tx in _ = try e.addRecord("conversation.messages", ["text": .text("Is the white one in stock?"), "author": .text("petrov")], in: d, tx) }
        try sales.edit { e, d, tx in _ = try e.addRecord("conversation.messages", ["text": .text("Yes, two of them."), "author": .text("ivanova")], in: d, tx) }
        cardExchange(buyer.document, sales.document)

        #expect(try buyer.document.conflicts(.root, "conversation.messages").count == 2, "two list objects for one field")
        let merged = try #require(buyer.read().values["conversation.messages"])
        guard case .list(let records) = merged else { Issue.record("not a list: \(merged)"); return }
        #expect(Set(records) == [hi, hello], "both records are visible")
        #expect(sales.read().values["conversation.messages"] == merged, "in the same order on both replicas")

        // Remove the sales manager's message by its merged index, on the buyer's replica.
        let index = try #require(records.firstIndex(of: hello))
        try buyer.edit { e, d, tx in try e.removeRecord("conversation.messages", at: index, in: d, tx) }
        #expect(buyer.read().values["conversation.messages"] == .list([hi]))
        cardExchange(buyer.document, sales.document)
        #expect(sales.read().values["conversation.messages"] == .list([hi]))
    }

    @Test func removingTheFirstMergedRecordAndSettingTheWholeList() throws {
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer)
        let sales = CardDevice(0x50, user: "ivanova", role: .sales)
        try buyer.set("insurance.drivers", .list([.record(["fullName": .text("Petrov P.")]), .record(["fullName": .text("Petrova A.")])]))
        try sales.set("insurance.drivers", .list([.record(["fullName": .text("Petrov S.")])]))
        cardExchange(buyer.document, sales.document)
        guard case .list(let records)? = sales.read().values["insurance.drivers"] else { Issue.record("no drivers"); return }
        #expect(records.count == 3)
        try sales.edit { e, d, tx in try e.removeRecord("insurance.drivers", at: 0, in: d, tx) }
        #expect(sales.read().values["insurance.drivers"] == .list(Array(records.dropFirst())))
        // Setting the whole list empties every concurrent container and writes one list.
        try sales.set("insurance.drivers", .list([.record(["fullName": .text("Petrov P.")])]))
        cardExchange(buyer.document, sales.document)
        #expect(buyer.read().values["insurance.drivers"] == .list([.record(["fullName": .text("Petrov P.")])]))
    }

    /// Regression: with two concurrent containers `addRecord` returned the index within the
    /// winning container, not the merged index that readers and `removeRecord` use.
    @Test func addRecordReturnsTheMergedIndex() throws {
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer)
        let sales = CardDevice(0x50, user: "ivanova", role: .sales)
        try buyer.edit { e, d, tx in _ = try e.addRecord("conversation.messages", ["text": .text("one")], in: d, tx) }
        try sales.edit { e, d, tx in _ = try e.addRecord("conversation.messages", ["text": .text("two")], in: d, tx) }
        cardExchange(buyer.document, sales.document)
        var index = -1
        try buyer.edit { e, d, tx in index = try e.addRecord("conversation.messages", ["text": .text("three")], in: d, tx) }
        guard case .list(let records)? = buyer.read().values["conversation.messages"] else { Issue.record("no messages"); return }
        #expect(records.count == 3)
        #expect(records.last == .record(["text": .text("three")]), "appended at the end of the merged list")
        do {
            #expect(index == 2)
            #expect(records.indices.contains(index) && records[index] == .record(["text": .text("three")]))
        }
    }

    /// Two staff devices write internal notes on a staff card whose text object did not exist
    /// yet: each creates its own text object. Regression: the reader once showed only the
    /// winner's, silently hiding the other author's notes (the "no silent loss" promise in the README).
    @Test func concurrentlyCreatedNotesAreNotSilentlyLost() throws {
        let sales = CardDevice(0x50, user: "ivanova", role: .sales)
        let finance = CardDevice(0x70, user: "kozlova", role: .finance)
        try sales.set("staff.notes", .text("Wants a discount on mats."))
        try finance.set("staff.notes", .text("Scoring 710, approved by two banks."))
        cardExchange(sales.document, finance.document)
        let read = sales.read(.staff)
        #expect(finance.read(.staff).values == read.values, "replicas agree")
        let shown = read.values["staff.notes"].map(\.displayText) ?? ""
        do {
            let both = shown.contains("Wants a discount on mats.") && shown.contains("Scoring 710, approved by two banks.")
            #expect(both || read.conflicts["staff.notes"] != nil, "shown: \(shown)")
        }
    }

    @Test func containersCreatedUpFrontAvoidSplitLists() throws {
        let creator = CardDevice(0x10, user: "ivanova", role: .sales)
        try creator.edit { e, d, tx in try e.createContainers(document: .shared, in: d, tx) }
        let listFields = DealSchema.standard.fields(in: .shared).filter { CardCodec.containerKind($0.type) != nil }
        #expect(Set(try creator.document.keys(.root)) == Set(listFields.map(\.path)))
        #expect(try creator.edit { e, d, tx in try e.createContainers(document: .shared, in: d, tx) } == nil, "idempotent")
        let buyer = CardDevice(0xB0, user: "petrov", role: .buyer, document: creator.document)
        let sales = CardDevice(0x50, user: "ivanova", role: .sales, document: creator.document)
        try buyer.edit { e, d, tx in _ = try e.addRecord("conversation.messages", ["text": .text("a")], in: d, tx) }
        try sales.edit { e, d, tx in _ = try e.addRecord("conversation.messages", ["text": .text("b")], in: d, tx) }
        cardExchange(buyer.document, sales.document)
        #expect(try buyer.document.conflicts(.root, "conversation.messages").count == 1, "one list object")
        guard case .list(let records)? = buyer.read().values["conversation.messages"] else { Issue.record("no messages"); return }
        #expect(Set(records) == [.record(["text": .text("a")]), .record(["text": .text("b")])])
    }
}
