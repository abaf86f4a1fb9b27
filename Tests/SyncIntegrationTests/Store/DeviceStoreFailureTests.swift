import CRDT
@testable import DealCardKit
@testable import SQLiteKit
@_spi(Testing) @testable import SyncCore
import Foundation
import Testing
import TestSupport

@Suite("Device store: bad files, full disks, second openers, old versions")
struct DeviceStoreFailureTests {
    @Test func aSecondOpenerGetsAClearErrorAndTheFirstKeepsWorking() async throws {
        let folder = try TemporaryDirectory()
        let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xC1))
        let deal = try await store.createDeal()
        let error = #expect(throws: StoreError.self) { try DeviceStore(openingAt: folder.path) }
        #expect(error.map { "\($0)" }?.contains("pid \(getpid())") == true, "\(String(describing: error))")
        try await store.set(deal, "vehicle.model", .text("Camry"))
        await store.close()
        let reopened = try DeviceStore(openingAt: folder.path)
        #expect(try await reopened.card(deal).values["vehicle.model"] == .text("Camry"))
    }

    @Test(arguments: [
        Array("this is not a database, it is a note\n".utf8),
        (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919) },
    ])
    func aFileThatIsNotAStoreIsRefusedAndLeftUntouched(bytes: [UInt8]) throws {
        let folder = try TemporaryDirectory()
        let path = DeviceStore.databasePath(in: folder.path)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: StoreError.self) { try DeviceStore(openingAt: folder.path) }
        #expect(error.map { "\($0)" }?.contains("not a database") == true, "\(String(describing: error))")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        #expect(throws: StoreError.self) {
            try DeviceStore(creatingAt: folder.path, identity: testIdentity("x", .sales, replica: 0xC2))
        }
    }

    /// A stored change this build cannot load (its counters jump, which today's engine
    /// refuses; or bytes that do not decode) is set aside into the quarantine as `unloadable`
    /// when its document loads: the rest of the deal opens and stays writable.
    @Test func aStoredChangeThisBuildCannotLoadIsSetAsideAndTheDealOpens() async throws {
        let folder = try TemporaryDirectory()
        let identity = testIdentity("olga", .sales, replica: 0xA1)
        let store = try DeviceStore(creatingAt: folder.path, identity: identity)
        let deal = try await store.createDeal(values: ["vehicle.model": .text("Camry")])
        await store.close()
        let forged = try Document(replica: ReplicaID(0xBEEF)).change { tx in
            try tx.put(.root, "vehicle.trim", .string("Forged"))
        }!.withStartOp((1 << 62) - 2)
        do {
            let db = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
            for (replica, blob) in [(0xBEEF, forged.encoded()), (0xDEAD, [0x44, 0x53, 0x59, 0x4E, 0x01, 0xFF])] {
                try db.execute("INSERT INTO changes(deal_id, document, replica, seq, blob) VALUES (?, 'shared', ?, 1, ?)",
                               arguments: [.text(deal.rawValue), .integer(Int64(replica)), .blob(blob)])
            }
            db.close()
        }
        let reopened = try DeviceStore(openingAt: folder.path)
        let card = try await reopened.card(deal)
        #expect(card.values["vehicle.model"] == .text("Camry") && card.values["vehicle.trim"] == nil)
        let quarantined = try await reopened.quarantined()
        #expect(quarantined.map(\.code) == [.unloadable, .unloadable], "\(quarantined)")
        #expect(quarantined.contains { $0.reason.contains("engine refuses") && $0.blob == forged.encoded() }, "\(quarantined)")
        #expect(quarantined.contains { $0.reason.contains("do not decode") }, "\(quarantined)")
        try await reopened.set(deal, "vehicle.model", .text("Niva"))
        await reopened.close()
        // Set aside once: the next open finds nothing to set aside.
        let again = try DeviceStore(openingAt: folder.path)
        #expect(try await again.card(deal).values["vehicle.model"] == .text("Niva"))
        #expect(try await again.quarantined().count == 2)
        await again.close()
    }

    @Test func aMissingStoreSaysHowToMakeOne() throws {
        let folder = try TemporaryDirectory()
        let error = #expect(throws: StoreError.self) { try DeviceStore(openingAt: folder.file("nothing")) }
        #expect(error.map { "\($0)" }?.contains("create one first") == true)
    }

    @Test func aFolderThatCannotBeWrittenGivesAClearError() throws {
        // Tests run as root, for whom permission bits do not stop writes; a path below a
        // regular file cannot be created by anyone.
        let folder = try TemporaryDirectory()
        let file = folder.file("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: StoreError.self) {
            try DeviceStore(creatingAt: file + "/store", identity: testIdentity("x", .sales, replica: 0xC3))
        }
        #expect(error != nil)
    }

    @Test func aFullDiskRefusesTheEditAndKeepsEverythingAccepted() async throws {
        let folder = try TemporaryDirectory()
        let deal: DealID
        var accepted = 0
        do {
            let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xC4))
            deal = try await store.createDeal()
            try await store.limitPages(to: try await store.pageCount() + 3)
            let big = String(repeating: "note ", count: 400)
            var failed = false
            for index in 0..<200 {
                do {
                    try await store.addRecord(deal, "conversation.messages", ["text": .text("\(index) \(big)")])
                    accepted += 1
                } catch {
                    #expect("\(error)".contains("full"), "\(error)")
                    failed = true
                    break
                }
            }
            #expect(failed, "the page limit never filled the store")
            // In memory, the refused edit is gone too.
            if case .list(let records)? = try await store.card(deal).values["conversation.messages"] {
                #expect(records.count == accepted)
            }
            await store.close()
        }
        let reopened = try DeviceStore(openingAt: folder.path)
        guard case .list(let records)? = try await reopened.card(deal).values["conversation.messages"] else {
            Issue.record("messages lost")
            return
        }
        #expect(records.count == accepted)
        #expect(accepted > 0)
    }

    @Test func aStoreWrittenByTheFirstSchemaVersionOpensAndIsMigrated() async throws {
        let folder = try TemporaryDirectory()
        let identity = testIdentity("olga", .sales, replica: 0xC5)
        // Write a deal with a store of schema version 1, the way that build wrote it.
        let document = Document(replica: identity.replica)
        let editor = CardEditor(schema: .standard, role: .sales)
        let change = try document.change(metadata: identity.author(at: 1).encoded()) { tx in
            try editor.createContainers(document: .shared, in: document, tx)
            try editor.set("vehicle.model", .text("Niva"), in: document, tx)
        }!
        do {
            let db = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
            _ = try StoreSchema.migrator.migrate(db, upTo: 1)
            let json = String(decoding: try JSONEncoder().encode(identity), as: UTF8.self)
            try db.execute("INSERT INTO settings(key, value) VALUES ('identity', ?)", arguments: [.text(json)])
            try db.execute("INSERT INTO deals(id, created_at, updated_at) VALUES ('d-old', 1, 1)")
            try db.execute("INSERT INTO documents(deal_id, kind, snapshot) VALUES ('d-old', 'shared', NULL)")
            try db.execute("INSERT INTO changes(deal_id, kind, replica, seq, blob) VALUES ('d-old', 'shared', ?, 1, ?)",
                           arguments: [.integer(Int64(bitPattern: identity.replica.rawValue)), .blob(change.encoded())])
            try db.execute("INSERT INTO quarantine(deal_id, kind, replica, seq, blob, reason, at) VALUES ('d-old', 'shared', 1, 9, x'00', 'old refusal', 5)")
            #expect(try SQLiteMigrator.schemaVersion(of: db) == 1)
            db.close()
        }
        let store = try DeviceStore(openingAt: folder.path)
        let summaries = try await store.deals()
        #expect(summaries.map(\.id.rawValue) == ["d-old"])
        #expect(summaries.first?.model == "Niva")
        #expect(try await store.quarantined().first?.code == .refused)
        #expect(try await store.card(DealID("d-old")!).values["vehicle.model"] == .text("Niva"))
        await store.close()
        // The column the first build called `kind` is `document` now, in every table.
        let migrated = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
        for table in ["documents", "changes", "outbox", "quarantine"] {
            let columns = try migrated.query("SELECT name FROM pragma_table_info('\(table)')") { $0.string(at: 0) }
            #expect(columns.contains("document") && !columns.contains("kind"), "\(table): \(columns)")
        }
        migrated.close()
    }

    @Test func aStoreFromANewerBuildIsRefused() throws {
        let folder = try TemporaryDirectory()
        do {
            let db = try SQLiteDatabase(path: DeviceStore.databasePath(in: folder.path))
            try db.execute("PRAGMA user_version = 99")
            db.close()
        }
        let error = #expect(throws: StoreError.self) { try DeviceStore(openingAt: folder.path) }
        #expect(error.map { "\($0)" }?.contains("newer") == true, "\(String(describing: error))")
    }
}

@Suite("Device store: a full disk during sync")
struct DeviceStoreSyncFailureTests {
    @Test func aBatchThatDoesNotFitChangesNothingAndCanBeRetried() async throws {
        let folder = try TemporaryDirectory()
        let source = try DeviceStore(creatingAt: folder.file("source"), identity: testIdentity("olga", .sales, replica: 0xD1))
        var deals: [DealID] = []
        let note = String(repeating: "long note ", count: 300)
        for _ in 0..<20 {
            let deal = try await source.createDeal()
            try await source.post(deal, note)
            deals.append(deal)
        }
        var batch: [(deal: DealID, document: DealDocumentKind, changes: [Change])] = []
        for deal in deals { batch.append((deal, .shared, try await source.changes(deal, .shared, since: VersionVector()))) }
        let target = try DeviceStore(creatingAt: folder.file("target"), identity: testIdentity("petr", .sales, replica: 0xD2))
        try await target.limitPages(to: try await target.pageCount() + 4)
        await #expect(throws: StoreError.self) { try await target.applyRemote(batch: batch) }
        #expect(try await target.dealIDs().isEmpty, "part of a refused batch was kept")
        await #expect(throws: StoreError.self) { try await target.card(deals[0]) }
        try await target.limitPages(to: 1_000_000)
        try await target.applyRemote(batch: batch)
        #expect(try await target.dealIDs().count == deals.count)
        #expect(try await target.card(deals[19]).values["conversation.messages"] != nil)
    }
}
