import DealCardKit
import Foundation
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let unloadableChecks: [Check] = [
        Check("an entry marked unloadable is left out of both change reads", unloadableEntryIsNotServed),
        Check("entries marked unloadable are listed by position, ascending", unloadablePositionsAscend),
        Check("an entry marked unloadable is copied to the quarantine", unloadableEntryIsQuarantined),
        Check("marking an entry unloadable twice does nothing", markingTwiceDoesNothing),
        Check("an entry marked unloadable leaves its document's snapshot to be built again and its deal's analytics stale",
              unloadableEntryInvalidatesSnapshotAndAnalytics),
    ]

    static func unloadableEntryIsNotServed(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let records = try Fixture.append(storage, Fixture.changes("d1", 1...3))
        try storage.markUnloadable(records[1], reason: "does not decode", at: Fixture.now)
        try expectEqual(try Fixture.positions(storage), [1, 3], "changes after 0")
        try expectEqual(try Fixture.positions(storage, of: "d1"), [1, 3], "d1's shared changes")
        // It stays in the log: a retry of it is still the stored record, and the seq after it is next.
        try expectEqual(try Fixture.append(storage, [Fixture.change("d1", seq: 2)]), [records[1]], "a retry of the unloadable entry")
        try expectEqual(try Fixture.append(storage, [Fixture.change("d1", seq: 4)]).map(\.position), [4], "the next change's position")
    }

    static func unloadablePositionsAscend(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let records = try Fixture.append(storage, Fixture.changes("d1", 1...3) + [Fixture.change("d3", seq: 1)])
        try storage.markUnloadable(records[3], reason: "test", at: Fixture.now)
        try storage.markUnloadable(records[0], reason: "test", at: Fixture.now)
        try expectEqual(try storage.unloadablePositions(), [1, 4], "unloadablePositions")
    }

    static func unloadableEntryIsQuarantined(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let author = LogAuthor(user: "boris", role: .buyer, device: "kiosk-1", channel: .kiosk)
        let entry = NewLogEntry(dealership: "north", deal: Fixture.id("d2"), document: .staff, replica: Fixture.replica, changeSequence: 1,
                                blob: [9, 8, 7], author: author, receivedAt: Fixture.now)
        let record = try Fixture.append(storage, [entry])[0]
        try storage.markUnloadable(record, reason: "unknown op kind 99", at: Fixture.now + 5)
        let quarantined = try storage.quarantine(limit: 10)
        try expectEqual(quarantined.count, 1, "quarantine entries")
        let copy = quarantined[0].entry
        try expectEqual(copy.deal, entry.deal, "the copy's deal")
        try expectEqual(copy.document, entry.document, "the copy's document")
        try expectEqual(copy.replica, entry.replica, "the copy's replica")
        try expectEqual(copy.changeSequence, entry.changeSequence, "the copy's seq")
        try expectEqual(copy.blob, entry.blob, "the copy's blob")
        try expectEqual(copy.senderUser, author.user, "the copy's sender user")
        try expectEqual(copy.senderDevice, author.device, "the copy's sender device")
        try expectEqual(copy.quarantinedAt, Fixture.now + 5, "the copy's time")
        try expect(copy.reason.contains("unloadable"), "the copy's reason says unloadable: \(copy.reason)")
        try expect(copy.reason.contains("unknown op kind 99"), "the copy's reason holds the reason given: \(copy.reason)")
    }

    static func markingTwiceDoesNothing(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let record = try Fixture.append(storage, [Fixture.change("d1", seq: 1)])[0]
        try storage.markUnloadable(record, reason: "first", at: Fixture.now)
        try storage.markUnloadable(record, reason: "second", at: Fixture.now + 1)
        try expectEqual(try storage.unloadablePositions(), [1], "unloadablePositions")
        let quarantined = try storage.quarantine(limit: 10)
        try expectEqual(quarantined.count, 1, "quarantine entries after marking twice")
        try expect(quarantined.first?.entry.reason.contains("first") == true, "the quarantine keeps the first reason: \(quarantined)")
    }

    static func unloadableEntryInvalidatesSnapshotAndAnalytics(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let records = try Fixture.append(storage, Fixture.changes("d1", 1...2), analytics: [Fixture.row("d1", Fixture.facts())])
        try storage.storeSnapshots([Fixture.snapshot("d1", changeCount: 2)], covering: 2)
        let request = Fixture.pageRequest(.deal(dealership: "north", id: Fixture.id("d1")), base: 2)
        try expectEqual(try storage.snapshotPage(request).deals.first?.documents.first?.slot, .stored(Fixture.snapshot("d1", changeCount: 2).blob),
                        "d1's shared slot before")
        try expectEqual(try Fixture.staleDeals(storage), [], "stale deals before")
        try storage.markUnloadable(records[0], reason: "test", at: Fixture.now)
        try expectEqual(try storage.snapshotPage(request).deals.first?.documents.first?.slot, .build, "d1's shared slot after")
        try expectEqual(try Fixture.staleDeals(storage), ["north/d1"], "stale deals after")
    }
}
