import DealCardKit
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let changeFilterChecks: [Check] = [
        Check("changes after a cursor come in position order", changesAfterACursor),
        Check("changes are read from one dealership, or from every one", changesByDealership),
        Check("changes are read of the deals asked for, none for an empty set", changesByDeal),
        Check("changes are read of the documents asked for, none for no document", changesByDocument),
        Check("changes stop at the limit", changesStopAtTheLimit),
        Check("changes stop after the row with which their blobs reach maxBytes", changesStopAtMaxBytes),
        Check("the first change is returned even when it weighs more than maxBytes", firstChangeIsAlwaysReturned),
        Check("one document's changes come in position order", oneDocumentsChanges),
    ]

    /// d1 shared 1, d2 shared 2, d1 staff 3, d3 (south) shared 4, d1 shared 5, d2 staff 6.
    static func appendSixChanges(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [
            Fixture.change("d1", .shared, seq: 1), Fixture.change("d2", .shared, seq: 1), Fixture.change("d1", .staff, seq: 1),
            Fixture.change("d3", .shared, seq: 1), Fixture.change("d1", .shared, seq: 2), Fixture.change("d2", .staff, seq: 1),
        ])
    }

    static func changesAfterACursor(_ storage: any RelayStorage) throws {
        try appendSixChanges(storage)
        try expectEqual(try Fixture.positions(storage), [1, 2, 3, 4, 5, 6], "changes after 0")
        try expectEqual(try Fixture.positions(storage, after: 2), [3, 4, 5, 6], "changes after 2")
        try expectEqual(try Fixture.positions(storage, after: 6), [], "changes after the last")
        try expectEqual(try Fixture.positions(storage, after: 100), [], "changes after a cursor past the log")
    }

    static func changesByDealership(_ storage: any RelayStorage) throws {
        try appendSixChanges(storage)
        try expectEqual(try Fixture.positions(storage, dealership: "north"), [1, 2, 3, 5, 6], "north's changes")
        try expectEqual(try Fixture.positions(storage, dealership: "south"), [4], "south's changes")
        try expectEqual(try Fixture.positions(storage, dealership: "east"), [], "the changes of a dealership without deals")
        try expectEqual(try Fixture.positions(storage, dealership: nil), [1, 2, 3, 4, 5, 6], "every dealership's changes")
        // With a dealership, deal ids are that dealership's: d3 is south's.
        try expectEqual(try Fixture.positions(storage, dealership: "north", deals: ["d1", "d3"]), [1, 3, 5], "north's d1 and d3")
    }

    static func changesByDeal(_ storage: any RelayStorage) throws {
        try appendSixChanges(storage)
        try expectEqual(try Fixture.positions(storage, deals: ["d1"]), [1, 3, 5], "d1's changes")
        try expectEqual(try Fixture.positions(storage, after: 1, deals: ["d1", "d2"]), [2, 3, 5, 6], "d1's and d2's changes after 1")
        try expectEqual(try Fixture.positions(storage, deals: []), [], "changes of no deal")
        try expectEqual(try Fixture.positions(storage, deals: ["nope"]), [], "changes of a deal never registered")
    }

    static func changesByDocument(_ storage: any RelayStorage) throws {
        try appendSixChanges(storage)
        try expectEqual(try Fixture.positions(storage, documents: [.shared]), [1, 2, 4, 5], "shared changes")
        try expectEqual(try Fixture.positions(storage, deals: ["d1", "d2"], documents: [.staff]), [3, 6], "d1's and d2's staff changes")
        try expectEqual(try Fixture.positions(storage, documents: []), [], "changes of no document")
    }

    static func changesStopAtTheLimit(_ storage: any RelayStorage) throws {
        try appendSixChanges(storage)
        try expectEqual(try Fixture.positions(storage, limit: 2), [1, 2], "two changes after 0")
        try expectEqual(try Fixture.positions(storage, after: 2, deals: ["d1", "d2"], limit: 2), [3, 5], "two of d1's and d2's after 2")
        try expectEqual(try Fixture.positions(storage, limit: 0), [], "no change at limit 0")
    }

    static func changesStopAtMaxBytes(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, (1...4).map { Fixture.change("d1", seq: UInt64($0), blob: [UInt8](repeating: UInt8($0), count: 10)) })
        try expectEqual(try Fixture.positions(storage, maxBytes: 20), [1, 2], "10-byte changes up to 20 bytes")
        try expectEqual(try Fixture.positions(storage, maxBytes: 25), [1, 2, 3], "10-byte changes up to 25 bytes (the third reaches it)")
        try expectEqual(try Fixture.positions(storage, maxBytes: 1_000), [1, 2, 3, 4], "10-byte changes up to 1000 bytes")
        try expectEqual(try Fixture.positions(storage, after: 1, limit: 2, maxBytes: 1_000), [2, 3], "the limit before maxBytes")
    }

    static func firstChangeIsAlwaysReturned(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [
            Fixture.change("d1", seq: 1, blob: [UInt8](repeating: 1, count: 100)), Fixture.change("d1", seq: 2, blob: [2]),
        ])
        try expectEqual(try Fixture.positions(storage, maxBytes: 10), [1], "changes up to 10 bytes, the first weighing 100")
        try expectEqual(try Fixture.positions(storage, maxBytes: 0), [1], "changes up to 0 bytes")
    }

    static func oneDocumentsChanges(_ storage: any RelayStorage) throws {
        try appendSixChanges(storage)
        try expectEqual(try Fixture.positions(storage, of: "d1", .shared), [1, 5], "d1's shared changes")
        try expectEqual(try Fixture.positions(storage, of: "d1", .staff), [3], "d1's staff changes")
        try expectEqual(try Fixture.positions(storage, of: "d3", .shared), [4], "south's d3's shared changes")
        try expectEqual(try Fixture.positions(storage, of: "d3", .shared, dealership: "north"), [], "d3's changes asked of north")
        try expectEqual(try Fixture.positions(storage, of: "nope"), [], "the changes of a deal never registered")
        let records = try storage.changes(dealership: "north", deal: Fixture.id("d2"), document: .staff)
        try expectEqual(records.map(\.entry), [Fixture.change("d2", .staff, seq: 1)], "d2's staff entry")
    }
}
