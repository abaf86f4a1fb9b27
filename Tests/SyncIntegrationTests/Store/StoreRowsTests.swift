import CRDT
@testable import DealCardKit
@testable import SQLiteKit
@_spi(Testing) @testable import SyncCore
@testable import SyncProtocol
import Foundation
import Testing
import TestSupport

/// The device store's row layer on its own: each row type's insert and reads on a store
/// database at the latest schema, and SQLite's refusals as ``StoreError``s that say what was
/// wrong.
@Suite("Device store rows")
struct StoreRowsTests {
    /// A store database at the latest schema in its own folder (kept alive by `folder`).
    private struct Database {
        let folder: TemporaryDirectory
        let db: SQLiteDatabase

        init() throws {
            folder = try TemporaryDirectory()
            db = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
            try StoreSchema.migrator.migrate(db)
        }
    }

    private let deal = DealID("d-rows")!
    private let other = DealID("d-other")!
    /// A replica whose top bit is set: stored as a negative integer, read back whole.
    private let replica = ReplicaID(0xF00D_0000_0000_0001)

    private func id(_ seq: UInt64) -> ChangeID { ChangeID(replica: replica, seq: seq) }

    @Test func aSettingRoundTripsAndIsWrittenOnce() throws {
        let store = try Database()
        try SettingRow(key: .identity, value: #"{"user":"olga"}"#).insert(in: store.db)
        #expect(try SettingRow.value(.identity, in: store.db) == #"{"user":"olga"}"#)
        #expect(try SettingRow.value(.schema, in: store.db) == nil)
        let error = #expect(throws: StoreError.self) { try SettingRow(key: .identity, value: "{}").insert(in: store.db) }
        guard case .constraint(let message)? = error else {
            Issue.record("expected a constraint error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("setting identity"), "\(message)")
        #expect(message.contains("UNIQUE constraint failed"), "\(message)")
        #expect(message.contains("bug"), "\(message)")
        #expect(try SettingRow.value(.identity, in: store.db) == #"{"user":"olga"}"#, "the refused row changed nothing")
    }

    @Test func dealRowsRoundTripNewestFirst() throws {
        let store = try Database()
        try DealRow(id: deal, createdAt: 1, updatedAt: 5).insert(in: store.db)
        try DealRow(id: other, createdAt: 2, updatedAt: 9, summary: "{}").insert(in: store.db)
        #expect(try DealRow.all(in: store.db) == [DealRow(id: other, createdAt: 2, updatedAt: 9, summary: "{}"),
                                                  DealRow(id: deal, createdAt: 1, updatedAt: 5)])
        #expect(try DealRow.ids(in: store.db) == [other, deal], "in id order")
        #expect(try DealRow.exists(deal, in: store.db))
        #expect(try !DealRow.exists(DealID("d-none")!, in: store.db))

        try DealRow.setSummary(#"{"a":1}"#, of: deal, in: store.db)
        try DealRow.touch(other, updatedAt: 3, summary: #"{"b":2}"#, in: store.db)
        // A deal seen again in a sync answer keeps its row.
        try DealRow(id: deal, createdAt: 100, updatedAt: 100).insertIfMissing(in: store.db)
        #expect(try DealRow.all(in: store.db) == [DealRow(id: deal, createdAt: 1, updatedAt: 5, summary: #"{"a":1}"#),
                                                  DealRow(id: other, createdAt: 2, updatedAt: 3, summary: #"{"b":2}"#)])
        try DealRow.delete(other, in: store.db)
        #expect(try DealRow.ids(in: store.db) == [deal])
    }

    @Test func aDealTakenTwiceIsRefusedAsDealExists() throws {
        let store = try Database()
        try DealRow(id: deal, createdAt: 1, updatedAt: 1).insert(in: store.db)
        let error = #expect(throws: StoreError.self) { try DealRow(id: deal, createdAt: 2, updatedAt: 2).insert(in: store.db) }
        guard case .dealExists(let taken)? = error else {
            Issue.record("expected dealExists, got \(String(describing: error))")
            return
        }
        #expect(taken == deal)
        #expect("\(error!)" == "deal d-rows already exists")
    }

    @Test func aDocumentRowNeedsItsDeal() throws {
        let store = try Database()
        let error = #expect(throws: StoreError.self) {
            try SnapshotRow(deal: deal, document: .shared, snapshot: [1, 2, 3]).insert(in: store.db)
        }
        guard case .noSuchDeal(let missing)? = error else {
            Issue.record("expected noSuchDeal, got \(String(describing: error))")
            return
        }
        #expect(missing == deal)
        #expect("\(error!)".contains("no deal d-rows in this store"))
        #expect(throws: StoreError.self) { try SnapshotRow.insertIfMissing(deal: deal, document: .staff, in: store.db) }
        #expect(try StoreTables.rowCount("documents", in: store.db) == 0)
    }

    @Test func aSnapshotRowIsReplacedButNeverClearedByInsertIfMissing() throws {
        let store = try Database()
        try DealRow(id: deal, createdAt: 1, updatedAt: 1).insert(in: store.db)
        #expect(try SnapshotRow.find(deal: deal, document: .shared, in: store.db) == nil)
        try SnapshotRow.insertIfMissing(deal: deal, document: .shared, in: store.db)
        #expect(try SnapshotRow.find(deal: deal, document: .shared, in: store.db) == SnapshotRow(deal: deal, document: .shared, snapshot: nil))
        try SnapshotRow(deal: deal, document: .shared, snapshot: [7, 7]).insert(in: store.db)
        try SnapshotRow.insertIfMissing(deal: deal, document: .shared, in: store.db)
        #expect(try SnapshotRow.find(deal: deal, document: .shared, in: store.db)?.snapshot == [7, 7])
        try SnapshotRow(deal: deal, document: .shared, snapshot: []).insert(in: store.db)
        #expect(try SnapshotRow.find(deal: deal, document: .shared, in: store.db)?.snapshot == [], "an empty blob is not NULL")
        #expect(try SnapshotRow.find(deal: deal, document: .staff, in: store.db) == nil)
        try SnapshotRow.deleteAll(of: deal, in: store.db)
        #expect(try SnapshotRow.find(deal: deal, document: .shared, in: store.db) == nil)
    }

    @Test func changeRowsKeepTheirOrderAndTheFirstBytes() throws {
        let store = try Database()
        let rows = [3, 1, 2].map { StoredChangeRow(deal: deal, document: .shared, change: id($0), blob: [UInt8($0), 0xAA]) }
        for row in rows { try row.insert(in: store.db) }
        try StoredChangeRow(deal: deal, document: .staff, change: id(1), blob: [9]).insert(in: store.db)
        // The same id again, in other bytes: the first stay.
        try StoredChangeRow(deal: deal, document: .shared, change: id(1), blob: [0xFF]).insert(in: store.db)
        #expect(try StoredChangeRow.all(deal: deal, document: .shared, in: store.db) == rows)
        #expect(try StoredChangeRow.ids(deal: deal, document: .shared, in: store.db) == [id(3), id(1), id(2)])
        #expect(try StoredChangeRow.count(deal: deal, document: .shared, in: store.db) == 3)

        try StoredChangeRow.deleteAll(deal: deal, document: .shared, except: [id(1)], in: store.db)
        #expect(try StoredChangeRow.all(deal: deal, document: .shared, in: store.db) == [rows[1]])
        try StoredChangeRow.deleteAll(deal: deal, document: .shared, in: store.db)
        #expect(try StoredChangeRow.count(deal: deal, document: .shared, in: store.db) == 0)
        #expect(try StoredChangeRow.count(deal: deal, document: .staff, in: store.db) == 1)
        try StoredChangeRow.deleteAll(of: deal, in: store.db)
        #expect(try StoreTables.rowCount("changes", in: store.db) == 0)
    }

    @Test func outboxItemsComeOldestFirstAndLeaveByIdOrFromASeq() throws {
        let store = try Database()
        let items = (1...4).map { OutboxRow(deal: deal, document: .shared, change: id(UInt64($0)), blob: [UInt8($0)], createdAt: Int64($0) * 10) }
        for item in items { try item.insert(in: store.db) }
        try items[0].insert(in: store.db)
        #expect(try OutboxRow.oldest(limit: 10, in: store.db) == items)
        #expect(try OutboxRow.oldest(limit: 2, in: store.db) == Array(items.prefix(2)))
        #expect(try OutboxRow.count(in: store.db) == 4)
        #expect(items[1].item == OutboxItem(ref: ChangeRef(deal: deal, document: .shared, change: id(2)), blob: [2], createdAt: 20))

        try OutboxRow.delete(deal: deal, document: .shared, change: id(1), in: store.db)
        try OutboxRow.delete(deal: deal, document: .shared, change: id(1), in: store.db)
        try OutboxRow.deleteAll(deal: deal, document: .shared, replica: replica, from: 3, in: store.db)
        #expect(try OutboxRow.oldest(limit: 10, in: store.db) == [items[1]])
        try OutboxRow.deleteAll(of: deal, in: store.db)
        #expect(try OutboxRow.count(in: store.db) == 0)
    }

    @Test func quarantinedChangesKeepEveryRefusal() throws {
        let store = try Database()
        let first = QuarantineRow(deal: deal, document: .staff, change: id(4), blob: [1], code: .permission, reason: "no", at: 5)
        let again = QuarantineRow(deal: deal, document: .staff, change: id(4), blob: [], code: .dependsOnRefused, reason: "later", at: 6)
        try first.insert(in: store.db)
        try again.insert(in: store.db)
        #expect(try QuarantineRow.all(in: store.db) == [first, again])
        #expect(first.quarantined == QuarantinedChange(ref: ChangeRef(deal: deal, document: .staff, change: id(4)), blob: [1],
                                                       code: .permission, reason: "no", at: 5))
    }

    @Test func aCursorNeverMovesBack() throws {
        let store = try Database()
        #expect(try CursorRow.find(relay: "r", in: store.db) == nil)
        try CursorRow(relay: "r", cursor: 40, syncedAt: 1).insert(in: store.db)
        try CursorRow(relay: "r", cursor: 30, syncedAt: 2).insert(in: store.db)
        #expect(try CursorRow.find(relay: "r", in: store.db) == CursorRow(relay: "r", cursor: 40, syncedAt: 2))
        try CursorRow(relay: "s", cursor: 1, syncedAt: nil).insert(in: store.db)
        #expect(try CursorRow.find(relay: "s", in: store.db)?.syncedAt == nil)
        try CursorRow.delete(relay: "r", in: store.db)
        #expect(try CursorRow.find(relay: "r", in: store.db) == nil)
    }

    @Test func theFoldKeepsOnlyPendingChangesInTheirOwnBytes() throws {
        let store = try Database()
        try DealRow(id: deal, createdAt: 1, updatedAt: 1).insert(in: store.db)
        let source = Document(replica: ReplicaID(0x31))
        let made = try (0..<3).map { index in try source.change { try $0.put(.root, "vehicle.trim", .string("t\(index)")) }! }
        let waiting = try source.change { tx in
            try tx.put(.root, "vehicle.model", .string("Camry"))
            try tx.put(.root, "vehicle.color", .string("white"))
        }!
        let document = Document(replica: ReplicaID(0x32), changes: Array(made.prefix(2)))
        #expect(document.apply([waiting]).pending == [waiting.id])
        // The waiting change came in other bytes than the canonical ones; they must stay.
        let spelledOut = try #require(EncodingVariants.withoutSameObjectBit(waiting.encoded(), secondKey: "vehicle.color"))
        for change in made.prefix(2) {
            try StoredChangeRow(deal: deal, document: .shared, change: change.id, blob: change.encoded()).insert(in: store.db)
        }
        try StoredChangeRow(deal: deal, document: .shared, change: waiting.id, blob: spelledOut).insert(in: store.db)

        try SnapshotFold.fold(document, deal: deal, document: .shared, in: store.db)
        #expect(try SnapshotRow.find(deal: deal, document: .shared, in: store.db)?.snapshot == document.encodeSnapshot())
        #expect(try StoredChangeRow.all(deal: deal, document: .shared, in: store.db)
            == [StoredChangeRow(deal: deal, document: .shared, change: waiting.id, blob: spelledOut)])

        // A pending change without a row (none should be) gets one rather than being lost.
        try StoredChangeRow.deleteAll(deal: deal, document: .shared, in: store.db)
        try SnapshotFold.fold(document, deal: deal, document: .shared, in: store.db)
        #expect(try StoredChangeRow.all(deal: deal, document: .shared, in: store.db).map(\.blob) == [waiting.encoded()])
    }

    @Test func aRowThatDoesNotReadIsCorruptNotATrap() throws {
        let store = try Database()
        try store.db.execute("INSERT INTO outbox(deal_id, document, replica, seq, blob, created_at) VALUES ('has space', 'shared', 1, 1, x'00', 1)")
        try store.db.execute("INSERT INTO quarantine(deal_id, document, replica, seq, blob, reason, at) VALUES ('d-1', 'menu', 1, 1, x'00', 'r', 1)")
        try store.db.execute("INSERT INTO deals(id, created_at, updated_at) VALUES ('', 1, 1)")
        for read in [{ _ = try OutboxRow.oldest(limit: 5, in: store.db) }, { _ = try QuarantineRow.all(in: store.db) },
                     { _ = try DealRow.ids(in: store.db) }] as [() throws -> Void] {
            let error = #expect(throws: StoreError.self) { try read() }
            guard case .corrupt(let reason)? = error else {
                Issue.record("expected corrupt, got \(String(describing: error))")
                continue
            }
            #expect(reason.contains("row with"), "\(reason)")
        }
    }

    @Test func aFullDiskIsADatabaseErrorThatSaysSo() throws {
        let store = try Database()
        try StoreTables.limitPages(to: try StoreTables.pageCount(in: store.db) + 2, in: store.db)
        let big = [UInt8](repeating: 0x5A, count: 64 * 1024)
        let error = #expect(throws: StoreError.self) {
            for seq in 1...64 { try StoredChangeRow(deal: deal, document: .shared, change: id(UInt64(seq)), blob: big).insert(in: store.db) }
        }
        guard case .database(let reason)? = error else {
            Issue.record("expected a database error, got \(String(describing: error))")
            return
        }
        #expect(reason.contains("full"), "\(reason)")
        #expect(reason.contains("free space"), "\(reason)")
    }
}
