import DealCardKit
import CRDT
import Foundation
import SQLiteKit
@testable import SyncServer
import Testing
import TestSupport

/// The SQLite relay store: schema, tokens, deals, replicas, quarantine, idempotency keys, lock.
@Suite("Relay storage")
struct RelayStorageTests {
    @Test func migratesAFreshFolderAndReopensWithoutChanges() throws {
        try withTemporaryDirectory { directory in
            let folder = directory.file("data/nested")
            let storage = try SQLiteRelayStorage(directory: folder)
            #expect(try storage.schemaVersion == SQLiteRelayStorage.migrator.latestVersion)
            #expect(FileManager.default.fileExists(atPath: folder + "/relay.sqlite"))
            try storage.insertDeal(RelayFixtures.deal("d1"))
            storage.close()

            let database = try SQLiteDatabase(path: folder + "/relay.sqlite")
            #expect(try SQLiteRelayStorage.migrator.migrate(database).isEmpty)
            let tables = try database.query(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            ) { $0.string(at: 0) }
            #expect(tables == ["change_log", "compaction", "deal", "deal_analytics", "deal_analytics_rules", "deal_analytics_totals",
                               "document_base", "document_horizon", "document_snapshot",
                               "idempotency_key", "quarantine", "replica", "token", "unloadable_change", "upstream_position"])
            #expect(try database.scalar("PRAGMA journal_mode")?.string == "wal")
            database.close()

            let reopened = try SQLiteRelayStorage(directory: folder)
            #expect(try reopened.deal(dealership: "north", id: DealID("d1")!) == RelayFixtures.deal("d1"))
            #expect(try reopened.storeSizeBytes > 0)
        }
    }

    @Test func readOnlyCommandsDoNotCreateAStore() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: RelayStorageError.storeNotFound(path: directory.file("none/relay.sqlite"))) {
                try SQLiteRelayStorage(directory: directory.file("none"), create: false)
            }
            #expect(!FileManager.default.fileExists(atPath: directory.file("none")))
        }
    }

    @Test func refusesAStoreWrittenByANewerBuild() throws {
        try withTemporaryDirectory { directory in
            let database = try SQLiteDatabase(path: directory.file("relay.sqlite"))
            try database.execute("PRAGMA user_version = 999")
            database.close()
            #expect {
                try SQLiteRelayStorage(directory: directory.path)
            } throws: { error in
                if case SQLiteStoreError.newerSchema(found: 999, _) = error { return true }
                return false
            }
        }
    }

    @Test func secondStorageOnTheSameFolderGetsTheLockError() throws {
        try withTemporaryDirectory { directory in
            let first = try SQLiteRelayStorage(directory: directory.path)
            #expect {
                try SQLiteRelayStorage(directory: directory.path)
            } throws: { error in
                guard case SQLiteStoreError.locked(_, let holder) = error else { return false }
                return holder == getpid() && "\(error)".contains("in use by another process")
            }
            first.close()
            // Released on close: the folder can be opened again.
            let second = try SQLiteRelayStorage(directory: directory.path)
            second.close()
        }
    }

    @Test func tokensRoundTripAndRevoke() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            let (secret, record) = RelayFixtures.token(deal: "d1")
            let (_, other) = RelayFixtures.token(id: "tok_0000beef", user: "boris", role: .buyer, device: nil)
            try storage.insertToken(record)
            try storage.insertToken(other)

            #expect(try storage.token(forHash: secret.storedHash) == record)
            #expect(try storage.token(forHash: SecretToken.generate().storedHash) == nil)
            #expect(try storage.tokens().map(\.id) == ["tok_0000abcd", "tok_0000beef"])
            #expect(throws: RelayStorageError.duplicateToken(id: "tok_0000abcd")) { try storage.insertToken(record) }

            try storage.revokeToken(id: "tok_0000abcd")
            try storage.revokeToken(id: "tok_0000abcd")
            #expect(try storage.token(forHash: secret.storedHash)?.isRevoked == true)
            #expect(try storage.tokens().map(\.isRevoked) == [true, false])
            #expect(throws: RelayStorageError.unknownToken(id: "tok_nope")) { try storage.revokeToken(id: "tok_nope") }
        }
    }

    @Test func tokenIDsHaveTheDocumentedShape() {
        let id = TokenRecord.makeID()
        #expect(id.hasPrefix("tok_") && id.count == 12)
        #expect(Hex.decode(String(id.dropFirst(4)))?.count == 4)
    }

    @Test func dealsAreIdempotentAndConflictsAreRefused() throws {
        try withTemporaryDirectory { directory in
            let storage = try RelayFixtures.storageWithDeals(in: directory.path)
            try storage.insertDeal(RelayFixtures.deal("d1", buyer: "boris"))
            // Sub-millisecond differences are below the stored precision and still the same deal.
            var almost = RelayFixtures.deal("d1", buyer: "boris")
            almost.createdAt += 0.0001
            try storage.insertDeal(almost)
            #expect(throws: RelayStorageError.conflictingDeal(id: DealID("d1")!)) {
                try storage.insertDeal(RelayFixtures.deal("d1", buyer: "someone else"))
            }
            #expect(try storage.deal(dealership: "north", id: DealID("d1")!)?.buyerUser == "boris")
            #expect(try storage.deal(dealership: "north", id: DealID("nope")!) == nil)
            #expect(try storage.dealIDs(dealership: "north").map(\.rawValue) == ["d1", "d2"])
            #expect(try storage.dealIDs(dealership: "south").map(\.rawValue) == ["d3"])
        }
    }

    @Test func replicaIsBoundToTheFirstDevice() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            let replica = ReplicaID(UInt64.max - 5)  // beyond Int64.max: stored by bit pattern
            let first = try storage.bindReplica(replica, device: "kiosk-1", user: "boris", at: RelayFixtures.now)
            #expect(first == ReplicaBinding(replica: replica, device: "kiosk-1", user: "boris", boundAt: RelayFixtures.now))
            let again = try storage.bindReplica(replica, device: "tablet-9", user: "mallory", at: RelayFixtures.now + 60)
            #expect(again == first)
            #expect(!again.allows(user: "mallory", device: "tablet-9"))
            #expect(again.allows(user: "boris", device: "kiosk-1"))
            #expect(!again.allows(user: "mallory", device: "kiosk-1"))
        }
    }

    @Test func quarantineKeepsRefusedChangesNewestFirst() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            func entry(_ seq: UInt64) -> QuarantineEntry {
                QuarantineEntry(
                    deal: DealID("unknown-deal")!, document: .staff, replica: 3, changeSequence: seq, blob: [1, 2, seq == 1 ? 3 : 4],
                    senderUser: "boris", senderDevice: "kiosk-1", reason: "buyer may not write the staff card",
                    quarantinedAt: RelayFixtures.now)
            }
            let firstID = try storage.insertQuarantine(entry(1))
            let secondID = try storage.insertQuarantine(entry(2))
            #expect(secondID > firstID)
            #expect(try storage.quarantine(limit: 10) == [
                QuarantineRecord(id: secondID, entry: entry(2)), QuarantineRecord(id: firstID, entry: entry(1)),
            ])
            #expect(try storage.quarantine(limit: 1).map(\.id) == [secondID])
            #expect(try storage.quarantine(limit: 0).isEmpty)
        }
    }

    @Test func idempotencyKeysKeepTheFirstResponseApartPerDealershipAndUser() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            let north = IdempotencyKey(dealership: "north", user: "crm", key: "crm-1")
            let south = IdempotencyKey(dealership: "south", user: "crm", key: "crm-1")
            let dms = IdempotencyKey(dealership: "north", user: "dms", key: "crm-1")
            #expect(try storage.idempotentResponse(for: north) == nil)
            let response = StoredResponse(status: 201, body: Array(#"{"ok":true}"#.utf8), requestDigest: SHA256.hash([1]))
            try storage.storeIdempotentResponse(response, for: north)
            try storage.storeIdempotentResponse(StoredResponse(status: 500, body: []), for: north)
            try storage.storeIdempotentResponse(StoredResponse(status: 204, body: []), for: IdempotencyKey(dealership: "north", user: "crm", key: "crm-2"))
            #expect(try storage.idempotentResponse(for: north) == response)
            #expect(try storage.idempotentResponse(for: IdempotencyKey(dealership: "north", user: "crm", key: "crm-2"))
                == StoredResponse(status: 204, body: []))
            #expect(try storage.idempotentResponse(for: south) == nil, "another dealership's connector of the same name")
            #expect(try storage.idempotentResponse(for: dms) == nil, "another connector of the same dealership")
            try storage.storeIdempotentResponse(StoredResponse(status: 200, body: [2]), for: south)
            #expect(try storage.idempotentResponse(for: south) == StoredResponse(status: 200, body: [2]))
            #expect(try storage.idempotentResponse(for: north) == response)
        }
    }

    /// A store written by the build before idempotency keys were scoped by dealership.
    @Test func storedAnswersOfThePreviousSchemaKeepTheirDealershipOrAreDropped() throws {
        try withTemporaryDirectory { directory in
            let steps = SQLiteRelayStorage.migrator.steps
            let scoping = try #require(steps.firstIndex { $0.name == "idempotency_key: by dealership, user and key, with request digest" })
            do {
                let old = try SQLiteDatabase(path: directory.file(SQLiteRelayStorage.fileName))
                try SQLiteRelayStorage.migrator.migrate(old, upTo: scoping)
                for deal in [RelayFixtures.deal("d-north"), RelayFixtures.deal("d-south", dealership: "south")] {
                    try old.execute("INSERT INTO deal(id, dealership, created_at, created_by) VALUES (?, ?, 0, 'crm')",
                                    arguments: [.text(deal.id.rawValue), .text(deal.dealership)])
                }
                let rows: [(String, String)] = [
                    ("integration:3:crm:create-1", #"{"change":null,"cursor":4,"deal":"d-north"}"#),
                    ("integration:3:crm:create-2", #"{"change":null,"cursor":5,"deal":"d-south"}"#),
                    // A user with a colon and a non-ASCII letter: the length counts UTF-8 bytes.
                    ("integration:7:ö:gw:x:a:b", #"{"change":null,"cursor":6,"deal":"d-north"}"#),
                    ("integration:3:crm:lost-deal", #"{"change":null,"cursor":7,"deal":"d-gone"}"#),
                    ("integration:3:crm:no-deal", #"{"cursor":7}"#),
                    ("integration:9:crm:short", #"{"change":null,"cursor":8,"deal":"d-north"}"#),
                    ("something else", #"{"change":null,"cursor":9,"deal":"d-north"}"#),
                ]
                for (key, body) in rows {
                    try old.execute("INSERT INTO idempotency_key(key, status, body, stored_at) VALUES (?, 200, ?, 1000)",
                                    arguments: [.text(key), .blob(Array(body.utf8))])
                }
                old.close()
            }
            let storage = try SQLiteRelayStorage(directory: directory.path)
            #expect(try storage.schemaVersion == steps.count)
            func answer(_ dealership: String, _ user: String, _ key: String) throws -> String? {
                try storage.idempotentResponse(for: IdempotencyKey(dealership: dealership, user: user, key: key))
                    .map { String(decoding: $0.body, as: UTF8.self) }
            }
            #expect(try answer("north", "crm", "create-1") == #"{"change":null,"cursor":4,"deal":"d-north"}"#)
            #expect(try answer("south", "crm", "create-1") == nil)
            #expect(try answer("south", "crm", "create-2") == #"{"change":null,"cursor":5,"deal":"d-south"}"#)
            #expect(try answer("north", "crm", "create-2") == nil)
            #expect(try answer("north", "ö:gw:x", "a:b") == #"{"change":null,"cursor":6,"deal":"d-north"}"#)
            #expect(try storage.idempotentResponse(for: IdempotencyKey(dealership: "north", user: "crm", key: "create-1"))?.requestDigest == nil,
                    "kept answers have no digest: they answer any retry, as before")
            for key in ["lost-deal", "no-deal", "short"] {
                #expect(try answer("north", "crm", key) == nil, "\(key) dropped")
            }
            // New answers are stored beside them.
            let fresh = StoredResponse(status: 200, body: [1], requestDigest: SHA256.hash([9]))
            try storage.storeIdempotentResponse(fresh, for: IdempotencyKey(dealership: "south", user: "crm", key: "create-1"))
            #expect(try storage.idempotentResponse(for: IdempotencyKey(dealership: "south", user: "crm", key: "create-1")) == fresh)
            let path = storage.path
            storage.close()
            let database = try SQLiteDatabase(path: path)
            #expect(try database.scalar("SELECT count(*) FROM idempotency_key")?.int64 == 4)
            #expect(try database.scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'idempotency_key_scoped'")?.int64 == 0)
        }
    }

    @Test(arguments: [
        ("integration:3:crm:k", "crm", "k"),
        ("integration:0::k", "", "k"),
        ("integration:5:a:b:c:d", "a:b:c", "d"),
    ])
    func legacyKeysAreSplitByTheirUserLength(stored: String, user: String, key: String) {
        let parts = SQLiteRelayStorage.legacyIdempotencyKeyParts(stored)
        #expect(parts?.user == user && parts?.key == key)
    }

    @Test(arguments: ["integration:3:crm:", "integration:3:crm", "integration:x:crm:k", "integration::crm:k", "crm:k", "integration:99999999999999999999:a:b"])
    func malformedLegacyKeysAreNotSplit(stored: String) {
        #expect(SQLiteRelayStorage.legacyIdempotencyKeyParts(stored) == nil)
    }
}
