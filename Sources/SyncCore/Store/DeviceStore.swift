import CRDT
import DealCardKit
import SQLiteKit
import SyncProtocol
import Foundation

/// A device's local replica of its deals: SQLite in a folder, the documents cached in
/// memory, an outbox of local changes for the relay, and observers.
///
/// Every local edit is committed to SQLite before the call that made it returns, so a
/// killed process loses nothing that was acknowledged. Opening a store reads no document;
/// a document is loaded (snapshot, then the changes after it) when first used. One process
/// at a time: a second opener gets ``StoreError/database(_:)`` naming the holder's pid.
public actor DeviceStore {
    public nonisolated let identity: DeviceIdentity
    public nonisolated let schema: DealSchema
    /// The store's folder.
    public nonisolated let folder: String

    /// The open database; ``db`` is the way in, and fails once the store is closed.
    private let connection: SQLiteDatabase
    private var isClosed = false
    var documents: [DocumentKey: Document] = [:]
    /// Per document: the stages' last edits, and how much of which history they cover.
    var touchCache: [DocumentKey: (document: Document, processed: Int, touches: StageTouches)] = [:]
    var observers: [UUID: (deal: DealID?, continuation: AsyncStream<StoreEvent>.Continuation)] = [:]
    /// Milliseconds since 1970; replaceable for tests.
    let clock: @Sendable () -> Int64

    struct DocumentKey: Hashable {
        var deal: DealID
        var kind: DealDocumentKind
    }

    /// Changes kept as rows after a document's snapshot before they are folded into it.
    static let changesPerSnapshot = 128

    /// Documents kept in memory beyond which a sync answer's documents are let go after it
    /// commits (``applyRemote(received:)``).
    static let cachedDocumentLimit = 4_096

    /// The database file inside a store folder.
    public static func databasePath(in folder: String) -> String { folder + "/store.sqlite" }

    /// Creates a new store in `folder` (made if missing) for `identity`.
    ///
    /// - Throws: ``StoreError/alreadyInitialized(path:)`` if a store is there, or
    ///   ``StoreError/database(_:)`` when the folder cannot be written.
    public init(creatingAt folder: String, identity: DeviceIdentity, schema: DealSchema = .standard,
                clock: @escaping @Sendable () -> Int64 = DeviceStore.now) throws(StoreError) {
        let path = DeviceStore.databasePath(in: folder)
        if FileManager.default.fileExists(atPath: path) { throw .alreadyInitialized(path: folder) }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let db = try SQLiteDatabase(path: path, options: .init(create: true, exclusiveStoreLock: true))
            _ = try StoreSchema.migrator.migrate(db)
            let json = String(decoding: try JSONEncoder().encode(identity), as: UTF8.self)
            try SettingRow(key: .identity, value: json).insert(in: db)
            if schema != .standard {
                // A dealer group's schema is kept with the store, so every later open uses it.
                try SettingRow(key: .schema, value: String(decoding: schema.canonicalJSON, as: UTF8.self)).insert(in: db)
            }
            self.connection = db
        } catch {
            throw StoreError.wrap(error)
        }
        self.identity = identity
        self.schema = schema
        self.folder = folder
        self.clock = clock
    }

    /// Opens the store in `folder`, migrating it if an older build wrote it. The schema the
    /// store was created with (kept in it) is used; `schema` only for stores that kept none.
    ///
    /// - Throws: ``StoreError/notInitialized(path:)`` when there is none; a clear
    ///   ``StoreError/database(_:)`` for a locked, newer, damaged or non-SQLite file (which is
    ///   never overwritten).
    public init(openingAt folder: String, schema: DealSchema = .standard,
                clock: @escaping @Sendable () -> Int64 = DeviceStore.now) throws(StoreError) {
        let path = DeviceStore.databasePath(in: folder)
        guard FileManager.default.fileExists(atPath: path) else { throw .notInitialized(path: folder) }
        do {
            let db = try SQLiteDatabase(path: path, options: .init(create: false, exclusiveStoreLock: true))
            _ = try StoreSchema.migrator.migrate(db)
            guard let json = try SettingRow.value(.identity, in: db) else {
                throw StoreError.corrupt("the store has no identity record")
            }
            identity = try JSONDecoder().decode(DeviceIdentity.self, from: Data(json.utf8))
            if let stored = try SettingRow.value(.schema, in: db) {
                do {
                    self.schema = try DealSchema(extending: .standard, file: Array(stored.utf8))
                } catch {
                    throw StoreError.corrupt("stored schema: \(error)")
                }
            } else {
                self.schema = schema
            }
            self.connection = db
        } catch let error as DecodingError {
            throw .corrupt("identity record: \(error)")
        } catch {
            throw StoreError.wrap(error)
        }
        self.folder = folder
        self.clock = clock
    }

    /// Wall-clock milliseconds since 1970.
    public static let now: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Closes the database and releases the store lock. Calls made afterwards (say, by a
    /// sync still finishing in the background) throw ``StoreError/closed``.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for observer in observers.values { observer.continuation.finish() }
        observers = [:]
        documents = [:]
        touchCache = [:]
        connection.close()
    }

    /// The database, unless the store is closed.
    var db: SQLiteDatabase {
        get throws(StoreError) {
            guard !isClosed else { throw .closed }
            return connection
        }
    }

    // MARK: Documents

    /// Whether the store has the deal.
    func dealExists(_ deal: DealID) throws -> Bool {
        try DealRow.exists(deal, in: db)
    }

    /// The document, loaded from its snapshot and the changes after it; nil if the store has
    /// no such document.
    func document(_ deal: DealID, _ kind: DealDocumentKind) throws -> Document? {
        let key = DocumentKey(deal: deal, kind: kind)
        if let cached = documents[key] { return cached }
        guard let row = try SnapshotRow.find(deal: deal, document: kind, in: db) else { return nil }
        let document: Document
        do {
            document = try row.snapshot.map { try Document(snapshot: $0, replica: identity.replica) } ?? Document(replica: identity.replica)
        } catch let error as DecodeError {
            throw StoreError.corrupt("document \(deal)/\(kind.rawValue): its snapshot: \(error)")
        }
        let rows = try StoredChangeRow.all(deal: deal, document: kind, in: db)
        let load = document.applyStored(rows.map(\.blob))
        if let failure = load.unattributed.first {
            throw StoreError.corrupt("a stored change of \(deal)/\(kind.rawValue) was refused: \(failure)")
        }
        if !load.unloadable.isEmpty { try setAside(load.unloadable.map { (rows[$0.position], $0.reason) }, deal: deal, kind: kind) }
        documents[key] = document
        return document
    }

    /// Moves stored changes this build cannot load out of the way, into the quarantine
    /// (code `unloadable`, with the reason and the bytes), in one transaction, so the rest of
    /// the document opens; changes that depend on one of them stay waiting, as for any
    /// missing dependency. A local one leaves the outbox too: the relay would refuse it.
    private func setAside(_ unloadable: [(row: StoredChangeRow, reason: String)], deal: DealID, kind: DealDocumentKind) throws {
        let now = clock()
        try db.transaction { db in
            let gone = Set(unloadable.map(\.row.change))
            let kept = Set(try StoredChangeRow.ids(deal: deal, document: kind, in: db)).subtracting(gone)
            try StoredChangeRow.deleteAll(deal: deal, document: kind, except: kept, in: db)
            for (stored, reason) in unloadable {
                try OutboxRow.delete(deal: deal, document: kind, change: stored.change, in: db)
                try QuarantineRow(deal: deal, document: kind, change: stored.change, blob: stored.blob, code: .unloadable,
                                  reason: "stored change \(stored.change) of \(deal)/\(kind.rawValue) cannot be loaded: \(reason); set aside",
                                  at: now).insert(in: db)
            }
        }
    }

    /// The documents of a deal this device may read.
    func readableDocuments(_ deal: DealID) throws -> [DealDocumentKind: Document] {
        var found: [DealDocumentKind: Document] = [:]
        for kind in DealDocumentKind.allCases where schema.canRead(role: identity.role, document: kind) {
            if let document = try document(deal, kind) { found[kind] = document }
        }
        return found
    }

    /// Writes local changes of one document in one transaction: the change rows, the outbox
    /// (for local ones), the document row if new, a fresh snapshot when enough changes
    /// gathered, and the deal's summary.
    func persist(_ changes: [Change], deal: DealID, kind: DealDocumentKind, local: Bool, document: Document) throws {
        let now = clock()
        let summary = try summaryJSON(deal, updatedAt: now)
        let encoded = changes.map(EncodedChange.init)
        try db.transaction { db in
            try write(encoded, deal: deal, kind: kind, local: local, receivedSnapshot: nil, document: document, now: now, in: db)
            try DealRow.touch(deal, updatedAt: now, summary: summary, in: db)
        }
    }

    /// The document rows of ``persist(_:deal:kind:local:document:)`` and of received changes,
    /// inside the caller's transaction. Each change is stored in the bytes it comes with. The
    /// deal's row (its summary) is the caller's to touch: a sync answer touches it once per
    /// deal, after every document of the deal in the answer is written.
    ///
    /// - Parameter receivedSnapshot: a snapshot blob from a relay that `document` holds exactly
    ///   (every change of it applied, nothing else before it): kept as the document's snapshot,
    ///   so its changes need no rows.
    func write(_ changes: [EncodedChange], deal: DealID, kind: DealDocumentKind, local: Bool, receivedSnapshot: [UInt8]?,
               document: Document, now: Int64, in db: SQLiteDatabase) throws {
        if let receivedSnapshot {
            try SnapshotRow(deal: deal, document: kind, snapshot: receivedSnapshot).insert(in: db)
        } else {
            try SnapshotRow.insertIfMissing(deal: deal, document: kind, in: db)
        }
        for encoded in changes {
            try StoredChangeRow(deal: deal, document: kind, change: encoded.change.id, blob: encoded.blob).insert(in: db)
            if local {
                try OutboxRow(deal: deal, document: kind, change: encoded.change.id, blob: encoded.blob, createdAt: now).insert(in: db)
            }
        }
        // A received snapshot is kept only for a document the device had nothing of: with no
        // change after it, it has no change rows to fold.
        if !(changes.isEmpty && receivedSnapshot != nil),
           try StoredChangeRow.count(deal: deal, document: kind, in: db) >= DeviceStore.changesPerSnapshot {
            try SnapshotFold.fold(document, deal: deal, document: kind, in: db)
        }
    }

    /// The card of a deal from its documents in memory.
    ///
    /// - Complexity: O(fields + changes since the last call): the stages' last edits are kept
    ///   up to date per document instead of rereading the history.
    func currentCard(_ deal: DealID) throws -> DealCard {
        let documents = try readableDocuments(deal)
        let reader = CardReader(schema: schema)
        var touches = StageTouches()
        for (kind, document) in documents {
            let key = DocumentKey(deal: deal, kind: kind)
            var cached = touchCache[key]
            // A document rebuilt (rebase) or reloaded is another object: start over for it.
            if cached == nil || cached!.document !== document || cached!.processed > document.historyCount {
                // A shallow snapshot's retained changes count once, as the start.
                var start = StageTouches()
                reader.addTouches(of: document.retainedChanges[...], in: document, to: &start)
                cached = (document, 0, start)
            }
            var entry = cached!
            if entry.processed < document.historyCount {
                reader.addTouches(of: document.history[entry.processed...], in: document, to: &entry.touches)
                entry.processed = document.historyCount
            }
            touchCache[key] = entry
            touches.merge(entry.touches)
        }
        return reader.card(id: deal, documents: documents, touches: touches)
    }

    /// The summary row of a deal as stored JSON, from its documents in memory.
    func summaryJSON(_ deal: DealID, updatedAt: Int64) throws -> String {
        DealSummary(card: try currentCard(deal), updatedAt: updatedAt).storedJSON
    }

    // MARK: Observers

    /// Events for every change of the store (or of one deal), local and remote, from now on.
    public func events(for deal: DealID? = nil) -> AsyncStream<StoreEvent> {
        let (stream, continuation) = AsyncStream<StoreEvent>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let id = UUID()
        observers[id] = (deal, continuation)
        continuation.onTermination = { [weak self] _ in
            Task { await self?.removeObserver(id) }
        }
        return stream
    }

    private func removeObserver(_ id: UUID) {
        observers[id] = nil
    }

    func notify(_ event: StoreEvent) {
        for observer in observers.values where observer.deal == nil || observer.deal == event.deal {
            observer.continuation.yield(event)
        }
    }
}

extension DeviceStore {
    /// Rows in a store table (for tests and diagnostics).
    func rowCount(_ table: String) throws -> Int {
        try StoreTables.rowCount(table, in: db)
    }

    /// A document's change rows, in the order written (for tests and diagnostics).
    func storedChanges(_ deal: DealID, _ kind: DealDocumentKind) throws -> [StoredChangeRow] {
        try StoredChangeRow.all(deal: deal, document: kind, in: db)
    }

    /// How many documents are in memory (for tests and diagnostics).
    func cachedDocumentCount() -> Int {
        documents.count
    }

    /// Every deal row with its stored summary, the most recently changed first (for tests and
    /// diagnostics).
    func dealRows() throws -> [DealRow] {
        try DealRow.all(in: db)
    }

    /// A document's row with its snapshot, if the store has the document (for tests and diagnostics).
    func snapshotRow(_ deal: DealID, _ kind: DealDocumentKind) throws -> SnapshotRow? {
        try SnapshotRow.find(deal: deal, document: kind, in: db)
    }
}

extension DeviceStore {
    /// Pages in the database file (for tests that simulate a full disk).
    @_spi(Testing) public func pageCount() throws -> Int64 {
        try StoreTables.pageCount(in: db)
    }

    /// Caps the database file at `pages` pages, as a full disk would (tests only).
    @_spi(Testing) public func limitPages(to pages: Int64) throws {
        try StoreTables.limitPages(to: pages, in: db)
    }
}

extension DeviceStore {
    /// Makes a change with raw engine ops, bypassing the card rules, as a tampered client
    /// would (tests of the relay's write validation only). `identity` overrides whose
    /// replica and metadata it carries.
    @discardableResult
    @_spi(Testing) public func forgeForTest(_ deal: DealID, as identity: DeviceIdentity? = nil, kind: DealDocumentKind = .shared,
                                            _ body: (Transaction) throws -> Void) throws -> Change {
        let author = identity ?? self.identity
        guard let document = try document(deal, kind) else { throw StoreError.noSuchDeal(deal) }
        let target = author.replica == document.replica ? document : document.fork(as: author.replica)
        guard let change = try target.change(metadata: author.author(at: clock()).encoded(), body) else {
            throw StoreError.corrupt("forged change made no op")
        }
        if target === document { try persist([change], deal: deal, kind: kind, local: true, document: document) }
        return change
    }
}
