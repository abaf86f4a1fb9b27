import DealCardKit
import CRDT
import Foundation
import Testing
@testable import SQLiteKit
@testable import SyncServer
import TestSupport

/// Dealerships apart: deal ids scoped by dealership, replica bindings as a structure, and a
/// store written before either opened by today's relay.
@Suite("Relay tenancy")
struct RelayTenancyTests {
    @Test func twoDealershipsMayEachHaveADealOfTheSameID() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            try storage.insertDeal(RelayFixtures.deal("dms-order-1002", dealership: "south", buyer: "mallory"))
            try storage.insertDeal(RelayFixtures.deal("dms-order-1002", dealership: "north"))
            #expect(try storage.deal(dealership: "south", id: DealID("dms-order-1002")!)?.buyerUser == "mallory")
            #expect(try storage.deal(dealership: "north", id: DealID("dms-order-1002")!)?.buyerUser == nil)
            let author = RelayFixtures.author
            for dealership in ["south", "north"] {
                _ = try storage.appendChanges([NewLogEntry(dealership: dealership, deal: DealID("dms-order-1002")!, document: .shared, replica: 7,
                                                           changeSequence: 1, blob: Array(dealership.utf8), author: author,
                                                           receivedAt: RelayFixtures.now)])
            }
            #expect(try storage.changes(dealership: "north", deal: DealID("dms-order-1002")!, document: .shared).map(\.entry.blob) == [Array("north".utf8)])
            #expect(try storage.changes(after: 0, dealership: "south", dealIDs: [DealID("dms-order-1002")!], documents: [.shared], limit: 10)
                .map(\.entry.blob) == [Array("south".utf8)])
            #expect(throws: RelayStorageError.self) {
                try storage.appendChanges([NewLogEntry(dealership: "east", deal: DealID("dms-order-1002")!, document: .shared, replica: 7,
                                                       changeSequence: 1, blob: [1], author: author, receivedAt: RelayFixtures.now)])
            }
        }
    }

    @Test func aStoreFromBeforeScopingKeepsEveryRowAndItsSequence() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/relay.sqlite"
            let old = try SQLiteDatabase(path: path)
            // The schema as the relay shipped it before this change: the first seven steps.
            _ = try SQLiteRelayStorage.migrator.migrate(old, upTo: 7)
            try old.execute("INSERT INTO deal(id, dealership, buyer_user, created_at, created_by) VALUES ('d1', 'north', 'boris', 0, 'boris')", arguments: [])
            for seq in 1...3 {
                try old.execute("""
                    INSERT INTO change_log(seq, deal_id, document, replica, change_seq, blob, author_user, author_role, author_device,
                                           author_channel, received_at) VALUES (NULL, 'd1', 'shared', 7, ?, x'01', 'boris', 'buyer', 'kiosk-1', 'kiosk', 0)
                    """, arguments: [.integer(Int64(seq))])
            }
            // The newest row gone (as compaction may do): its number must never be given again.
            try old.execute("DELETE FROM change_log WHERE seq = 3", arguments: [])
            try old.execute("INSERT INTO replica(replica, device, user_name, bound_at) VALUES (7, 'boris/kiosk-1', 'boris', 0)", arguments: [])
            try old.execute("INSERT INTO replica(replica, device, user_name, bound_at) VALUES (8, 'relay:00ff', 'crm', 0)", arguments: [])
            old.close()

            let storage = try SQLiteRelayStorage(directory: directory.path)
            #expect(try storage.deal(dealership: "north", id: DealID("d1")!)?.buyerUser == "boris")
            #expect(try storage.changes(dealership: "north", deal: DealID("d1")!, document: .shared).map(\.position) == [1, 2])
            #expect(try storage.latestPosition == 3)
            let next = try storage.appendChanges([NewLogEntry(dealership: "north", deal: DealID("d1")!, document: .shared, replica: 7, changeSequence: 3,
                                                              blob: [2], author: RelayFixtures.author, receivedAt: RelayFixtures.now)])
            #expect(next.map(\.position) == [4])
            let binding = try storage.bindReplica(7, device: "x", user: "y")
            #expect(binding.allows(user: "boris", device: "kiosk-1"))
            #expect(try storage.bindReplica(8, device: "x", user: "y").device == "relay:00ff")
            // Another dealership may now use the id.
            try storage.insertDeal(RelayFixtures.deal("d1", dealership: "south"))
            #expect(try storage.deal(dealership: "south", id: DealID("d1")!) != nil)
        }
    }
}
