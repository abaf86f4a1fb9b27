import DealCardKit
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let snapshotPageChecks: [Check] = [
        Check("a first-sync page serves a current snapshot as stored, shared before staff", pageServesCurrentSnapshots),
        Check("a first-sync page builds a document with changes and no snapshot, and leaves out one without changes", pageBuildsMissingSnapshots),
        Check("a first-sync page builds a snapshot stale at or before its base", pageBuildsStaleSnapshots),
        Check("a first-sync page never serves a snapshot of no changes", pageLeavesOutEmptySnapshots),
        Check("a first-sync page lists deals in id order after a deal, up to the limit, and says whether more follow", pageOrderAndLimit),
        Check("a first-sync page orders deals by the bytes of their ids", pageOrdersIDsByBytes),
        Check("a first-sync page ends after the deal whose stored blobs reach maxBytes", pageStopsAtMaxBytes),
        Check("a first-sync page selects deals by dealership, buyer, one deal or none", pageSelections),
        Check("a deal without changes still counts towards a page's limit", dealWithoutChangesCounts),
        Check("archived deals are left out of a page and counted", archivedDealsAreLeftOut),
        Check("the snapshot reader reads the same pages as the storage and throws once closed", snapshotReaderReadsTheSamePages),
    ]

    static func slots(_ page: SnapshotPage) -> [String] {
        page.deals.map { deal in
            deal.id.rawValue + ":" + deal.documents.map { item in
                switch item.slot {
                case .build: "\(item.kind.rawValue)=build"
                case .stored(let blob): "\(item.kind.rawValue)=\(blob)"
                }
            }.joined(separator: ",")
        }
    }

    static func pageServesCurrentSnapshots(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", .staff, seq: 1), Fixture.change("d1", seq: 1)])
        let shared = Fixture.snapshot("d1", blob: [1, 1])
        let staff = Fixture.snapshot("d1", .staff, blob: [2, 2])
        try storage.storeSnapshots([staff, shared], covering: 2)
        let request = Fixture.pageRequest(.deal(dealership: "north", id: Fixture.id("d1")), base: 2)
        try expectEqual(try storage.snapshotPage(request),
                        SnapshotPage(deals: [SnapshotPage.Deal(id: Fixture.id("d1"), documents: [
                            SnapshotPage.Item(kind: .shared, slot: .stored([1, 1])), SnapshotPage.Item(kind: .staff, slot: .stored([2, 2])),
                        ])], more: false), "d1's page")
        var sharedOnly = request
        sharedOnly.documents = [.shared]
        try expectEqual(slots(try storage.snapshotPage(sharedOnly)), ["d1:shared=[1, 1]"], "d1's page of the shared card")
    }

    static func pageBuildsMissingSnapshots(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d2", .staff, seq: 1)])
        try expectEqual(slots(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: 2))),
                        ["d1:shared=build", "d2:staff=build"], "north's page")
    }

    static func pageBuildsStaleSnapshots(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d2", seq: 1)])
        try storage.storeSnapshots([Fixture.snapshot("d1", blob: [1]), Fixture.snapshot("d2", blob: [2])], covering: 2)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 2), Fixture.change("d2", seq: 2)])
        // d1 is stale from 3, d2 from 4.
        try expectEqual(slots(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: 2))),
                        ["d1:shared=[1]", "d2:shared=[2]"], "north's page for base 2")
        try expectEqual(slots(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: 3))),
                        ["d1:shared=build", "d2:shared=[2]"], "north's page for base 3")
        try expectEqual(slots(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: 4))),
                        ["d1:shared=build", "d2:shared=build"], "north's page for base 4")
    }

    static func pageLeavesOutEmptySnapshots(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d1", .staff, seq: 1)])
        try storage.storeSnapshots([Fixture.snapshot("d1", blob: [1], changeCount: 0), Fixture.snapshot("d1", .staff, blob: [2])], covering: 2)
        try expectEqual(slots(try storage.snapshotPage(Fixture.pageRequest(.deal(dealership: "north", id: Fixture.id("d1")), base: 2))),
                        ["d1:staff=[2]"], "d1's page with a snapshot of no changes")
    }

    /// Deals a…e in north, each with one shared change and a stored 10-byte snapshot.
    static func insertFiveDealsWithSnapshots(_ storage: any RelayStorage) throws -> LogPosition {
        let ids = ["d-e", "d-b", "d-a", "d-d", "d-c"]
        for id in ids { try storage.insertDeal(Fixture.deal(id)) }
        let records = try Fixture.append(storage, ids.map { Fixture.change($0, seq: 1) })
        try storage.storeSnapshots(ids.map { Fixture.snapshot($0, blob: [UInt8](repeating: 1, count: 10)) }, covering: records[records.count - 1].position)
        return records[records.count - 1].position
    }

    static func pageOrderAndLimit(_ storage: any RelayStorage) throws {
        let base = try insertFiveDealsWithSnapshots(storage)
        let first = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: base, limit: 2))
        try expectEqual(first.deals.map(\.id.rawValue), ["d-a", "d-b"], "the first page of 2")
        try expectEqual(first.more, true, "more after the first page")
        let second = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), after: "d-b", base: base, limit: 2))
        try expectEqual(second.deals.map(\.id.rawValue), ["d-c", "d-d"], "the page of 2 after d-b")
        try expectEqual(second.more, true, "more after the second page")
        let last = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), after: "d-d", base: base, limit: 2))
        try expectEqual(last.deals.map(\.id.rawValue), ["d-e"], "the page after d-d")
        try expectEqual(last.more, false, "more after the last page")
        let exact = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), after: "d-c", base: base, limit: 2))
        try expectEqual(exact.deals.map(\.id.rawValue), ["d-d", "d-e"], "the page of 2 after d-c")
        try expectEqual(exact.more, false, "more after a page that ends with the selection")
        // An id between two (not a registered one) works as well.
        try expectEqual(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), after: "d-bb", base: base, limit: 1)).deals.map(\.id.rawValue),
                        ["d-c"], "the page after d-bb")
        try expectEqual(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: base, limit: 0)), SnapshotPage(deals: [], more: false),
                        "a page of limit 0")
    }

    static func pageOrdersIDsByBytes(_ storage: any RelayStorage) throws {
        for id in ["d-b", "d-C", "d-a", "d-B"] { try storage.insertDeal(Fixture.deal(id)) }
        func ids(after: String?) throws -> [String] {
            try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), after: after, base: .start)).deals.map(\.id.rawValue)
        }
        // Upper case before lower case, as the bytes (and DealID's order) have it.
        try expectEqual(try ids(after: nil), ["d-B", "d-C", "d-a", "d-b"], "north's page")
        try expectEqual(try ids(after: "d-C"), ["d-a", "d-b"], "north's page after d-C")
        try expectEqual(try ids(after: "d-Z"), ["d-a", "d-b"], "north's page after d-Z")
    }

    static func pageStopsAtMaxBytes(_ storage: any RelayStorage) throws {
        let base = try insertFiveDealsWithSnapshots(storage)
        let page = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: base, maxBytes: 20))
        try expectEqual(page.deals.map(\.id.rawValue), ["d-a", "d-b"], "the page of 10-byte snapshots up to 20 bytes")
        try expectEqual(page.more, true, "more after it")
        let over = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: base, maxBytes: 25))
        try expectEqual(over.deals.map(\.id.rawValue), ["d-a", "d-b", "d-c"], "the page up to 25 bytes (the third reaches it)")
        let tiny = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: base, maxBytes: 1))
        try expectEqual(tiny.deals.map(\.id.rawValue), ["d-a"], "the page up to 1 byte (the first deal always counts)")
    }

    static func pageSelections(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try storage.insertDeal(Fixture.deal("d0", buyer: "boris"))
        try storage.insertDeal(Fixture.deal("d4", dealership: "south", buyer: "boris"))
        _ = try Fixture.append(storage, ["d0", "d1", "d2", "d3"].map { Fixture.change($0, seq: 1) })
        func ids(_ deals: DealSelection) throws -> [String] {
            try storage.snapshotPage(Fixture.pageRequest(deals, base: 4)).deals.map(\.id.rawValue)
        }
        try expectEqual(try ids(.dealership("north")), ["d0", "d1", "d2"], "north's deals")
        try expectEqual(try ids(.dealership("south")), ["d3", "d4"], "south's deals")
        try expectEqual(try ids(.buyer(dealership: "north", user: "boris")), ["d0", "d1"], "boris's deals in north")
        try expectEqual(try ids(.buyer(dealership: "north", user: "nobody")), [], "the deals of a user who buys none")
        try expectEqual(try ids(.deal(dealership: "north", id: Fixture.id("d2"))), ["d2"], "north's d2")
        try expectEqual(try ids(.deal(dealership: "north", id: Fixture.id("d3"))), [], "d3 asked of north")
        try expectEqual(try ids(.deal(dealership: "north", id: Fixture.id("nope"))), [], "a deal never registered")
        try expectEqual(try storage.snapshotPage(Fixture.pageRequest(.none, base: 4)), SnapshotPage(deals: [], more: false), "no deal")
    }

    static func dealWithoutChangesCounts(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d2", seq: 1)])
        let page = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: 1, limit: 1))
        try expectEqual(page, SnapshotPage(deals: [SnapshotPage.Deal(id: Fixture.id("d1"), documents: [])], more: true), "the first page of 1")
        try expectEqual(slots(try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), base: 1))), ["d1:", "d2:shared=build"],
                        "north's page")
        let none = try storage.snapshotPage(Fixture.pageRequest(.dealership("north"), documents: [], base: 1))
        try expect(none.deals.allSatisfy(\.documents.isEmpty), "a page of no document holds no document: \(none)")
    }

    static func archivedDealsAreLeftOut(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try storage.insertDeal(Fixture.deal("d4"))
        let old = Fixture.nowMilliseconds - 86_400_000
        _ = try Fixture.append(storage, ["d1", "d2", "d4"].map { Fixture.change($0, seq: 1) }, analytics: [
            Fixture.row("d1", Fixture.facts(state: "won", lastChange: old)),
            Fixture.row("d2", Fixture.facts(state: "active", lastChange: old)),
        ])
        // d1 is won and old: archived. d2 is open; d4's row is stale (no row came with its change).
        let request = Fixture.pageRequest(.dealership("north"), base: 3, closedBefore: Fixture.nowMilliseconds)
        try expectEqual(try storage.snapshotPage(request).deals.map(\.id.rawValue), ["d2", "d4"], "north's page with closedBefore now")
        try expectEqual(try storage.archivedDealCount(.dealership("north"), closedBefore: Fixture.nowMilliseconds), 1, "north's archived deals")
        try expectEqual(try storage.archivedDealCount(.dealership("north"), closedBefore: old), 0, "deals closed before d1's last change")
        try expectEqual(try storage.archivedDealCount(.buyer(dealership: "north", user: "boris"), closedBefore: Fixture.nowMilliseconds), 1,
                        "boris's archived deals")
        try expectEqual(try storage.archivedDealCount(.deal(dealership: "north", id: Fixture.id("d2")), closedBefore: Fixture.nowMilliseconds), 0,
                        "d2 archived")
        try expectEqual(try storage.archivedDealCount(.none, closedBefore: Fixture.nowMilliseconds), 0, "archived deals of no deal")
        var everyDeal = request
        everyDeal.closedBefore = nil
        try expectEqual(try storage.snapshotPage(everyDeal).deals.map(\.id.rawValue), ["d1", "d2", "d4"], "north's page without closedBefore")
        // A stale row is not archived, whatever it last held.
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 2)])
        try expectEqual(try storage.archivedDealCount(.dealership("north"), closedBefore: Fixture.nowMilliseconds), 0,
                        "north's archived deals once d1's row is stale")
    }

    static func snapshotReaderReadsTheSamePages(_ storage: any RelayStorage) throws {
        let base = try insertFiveDealsWithSnapshots(storage)
        let reader = try storage.makeSnapshotReader()
        var last = Fixture.pageRequest(.dealership("north"), after: "d-d", base: base, closedBefore: Fixture.nowMilliseconds)
        do {
            for request in [Fixture.pageRequest(.dealership("north"), base: base, limit: 2),
                            Fixture.pageRequest(.dealership("north"), after: "d-c", base: base, limit: 2, maxBytes: 10)] {
                let read = try reader.page(request)
                try expectEqual(read.page, try storage.snapshotPage(request), "the reader's page after \(request.after?.rawValue ?? "-")")
                try expectEqual(read.archivedDeals, nil, "the reader's archived count without closedBefore")
            }
            try expectEqual(try reader.page(last).archivedDeals, 0, "the reader's archived count on the last page with closedBefore")
            last.after = nil
            last.limit = 1
            try expectEqual(try reader.page(last).archivedDeals, nil, "the reader's archived count on a page that is not the last")
        } catch {
            reader.close()
            throw error
        }
        reader.close()
        try expectError(.storeClosed, "a page read after the reader was closed") { try reader.page(last) }
    }
}
