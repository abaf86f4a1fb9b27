import DealCardKit
import Foundation
import SyncServer

extension RelayStorageConformance {
    static let dealChecks: [Check] = [
        Check("a registered deal reads back as registered", registeredDealReadsBack),
        Check("registering the same deal again does nothing", registeringAgainDoesNothing),
        Check("registering a deal id again with other values is refused", conflictingDealIsRefused),
        Check("the same deal id in another dealership is another deal", dealIDsAreScopedByDealership),
        Check("a dealership's deal ids are listed in id order", dealIDsAreInIDOrder),
        Check("a buyer's deal ids are those of the buyer in the dealership, ascending", buyerDealIDs),
        Check("a deal's time is kept rounded to the millisecond and a retry with the unrounded time passes", dealTimeIsKeptToTheMillisecond),
    ]

    static func registeredDealReadsBack(_ storage: any RelayStorage) throws {
        let deal = Fixture.deal("d1", buyer: "boris", createdBy: "olga")
        let plain = Fixture.deal("d2")
        try storage.insertDeal(deal)
        try storage.insertDeal(plain)
        try expectEqual(try storage.deal(dealership: "north", id: Fixture.id("d1")), deal, "deal d1, with a buyer")
        try expectEqual(try storage.deal(dealership: "north", id: Fixture.id("d2")), plain, "deal d2, without a buyer")
        try expectEqual(try storage.deal(dealership: "north", id: Fixture.id("nope")), nil, "a deal never registered")
        try expectEqual(try storage.deal(dealership: "south", id: Fixture.id("d1")), nil, "d1 asked of another dealership")
    }

    static func registeringAgainDoesNothing(_ storage: any RelayStorage) throws {
        let deal = Fixture.deal("d1", buyer: "boris")
        try storage.insertDeal(deal)
        try storage.insertDeal(deal)
        try expectEqual(try storage.dealIDs(dealership: "north"), [Fixture.id("d1")], "dealIDs after registering d1 twice")
        try expectEqual(try storage.deal(dealership: "north", id: deal.id), deal, "deal d1 after registering it twice")
    }

    static func conflictingDealIsRefused(_ storage: any RelayStorage) throws {
        let deal = Fixture.deal("d1", buyer: "boris")
        try storage.insertDeal(deal)
        let others = [
            Fixture.deal("d1", buyer: "someone-else"), Fixture.deal("d1", buyer: nil), Fixture.deal("d1", buyer: "boris", createdBy: "olga"),
            Fixture.deal("d1", buyer: "boris", createdAt: Fixture.now + 1),
        ]
        for other in others {
            try expectError(.conflictingDeal(id: deal.id), "insertDeal of d1 with \(other)") { try storage.insertDeal(other) }
        }
        try expectEqual(try storage.deal(dealership: "north", id: deal.id), deal, "deal d1 after the refused registrations")
    }

    static func dealIDsAreScopedByDealership(_ storage: any RelayStorage) throws {
        let north = Fixture.deal("d1", buyer: "boris")
        let south = Fixture.deal("d1", dealership: "south", buyer: "vera", createdBy: "ivan")
        try storage.insertDeal(north)
        try storage.insertDeal(south)
        try expectEqual(try storage.deal(dealership: "north", id: north.id), north, "north's d1")
        try expectEqual(try storage.deal(dealership: "south", id: south.id), south, "south's d1")
        try expectEqual(try storage.dealIDs(dealership: "south"), [south.id], "south's deal ids")
        try expectEqual(try storage.dealIDs(dealership: "south", buyerUser: "boris"), [], "south's deals of north's buyer")
    }

    static func dealIDsAreInIDOrder(_ storage: any RelayStorage) throws {
        for id in ["d-b", "d-C", "d-a", "d-aa", "d-B"] { try storage.insertDeal(Fixture.deal(id)) }
        try storage.insertDeal(Fixture.deal("d-0", dealership: "south"))
        // Ids compare by their bytes: upper case before lower case.
        try expectEqual(try storage.dealIDs(dealership: "north").map(\.rawValue), ["d-B", "d-C", "d-a", "d-aa", "d-b"], "north's deal ids")
        try expectEqual(try storage.dealIDs(dealership: "south").map(\.rawValue), ["d-0"], "south's deal ids")
        try expectEqual(try storage.dealIDs(dealership: "east"), [], "the deal ids of a dealership without deals")
    }

    static func buyerDealIDs(_ storage: any RelayStorage) throws {
        try storage.insertDeal(Fixture.deal("d3", buyer: "boris"))
        try storage.insertDeal(Fixture.deal("d1", buyer: "boris"))
        try storage.insertDeal(Fixture.deal("d2", buyer: "vera"))
        try storage.insertDeal(Fixture.deal("d4"))
        try storage.insertDeal(Fixture.deal("d5", dealership: "south", buyer: "boris"))
        try expectEqual(try storage.dealIDs(dealership: "north", buyerUser: "boris").map(\.rawValue), ["d1", "d3"], "boris's deals in north")
        try expectEqual(try storage.dealIDs(dealership: "north", buyerUser: "vera").map(\.rawValue), ["d2"], "vera's deals in north")
        try expectEqual(try storage.dealIDs(dealership: "south", buyerUser: "boris").map(\.rawValue), ["d5"], "boris's deals in south")
        try expectEqual(try storage.dealIDs(dealership: "north", buyerUser: "nobody"), [], "the deals of a user who buys none")
    }

    static func dealTimeIsKeptToTheMillisecond(_ storage: any RelayStorage) throws {
        // 0.6 ms past a millisecond: rounding gives the next one, truncating would not.
        let unrounded = Fixture.deal("d1", createdAt: Date(timeIntervalSince1970: 1_750_000_000.1236))
        try storage.insertDeal(unrounded)
        let stored = try unwrap(try storage.deal(dealership: "north", id: unrounded.id), "deal d1")
        try expectMilliseconds(stored.createdAt, 1_750_000_000_124, "createdAt of d1")
        try storage.insertDeal(unrounded)
        var rounded = unrounded
        rounded.createdAt = stored.createdAt
        try storage.insertDeal(rounded)
        try expectEqual(try storage.dealIDs(dealership: "north"), [unrounded.id], "dealIDs after the retries")
    }
}
