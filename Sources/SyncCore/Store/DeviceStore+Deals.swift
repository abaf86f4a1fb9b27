import CRDT
import DealCardKit
import Foundation

extension DeviceStore {
    /// Creates a deal with initial field values (shared and, for staff, staff-card fields)
    /// and returns its id. Works offline; the deal reaches the relay with the next sync.
    ///
    /// - Throws: ``StoreError/card(_:)`` for a value or field the role may not write.
    @discardableResult
    public func createDeal(id: DealID? = nil, values: [String: FieldValue] = [:]) throws(StoreError) -> DealID {
        let deal = id ?? DealID.random()
        do {
            if try dealExists(deal) { throw StoreError.dealExists(deal) }
            let now = clock()
            try DealRow(id: deal, createdAt: now, updatedAt: now).insert(in: db)
        } catch {
            throw StoreError.wrap(error)
        }
        do {
            try edit(deal, .shared) { editor, document, tx in
                for (path, value) in values.sorted(by: { $0.key < $1.key }) where DealDocumentKind.of(path: path) == .shared {
                    try editor.set(path, value, in: document, tx)
                }
            }
            let staffValues = values.filter { DealDocumentKind.of(path: $0.key) == .staff }
            if !staffValues.isEmpty {
                try edit(deal, .staff) { editor, document, tx in
                    for (path, value) in staffValues.sorted(by: { $0.key < $1.key }) { try editor.set(path, value, in: document, tx) }
                }
            }
        } catch {
            // Nothing of the deal survives a refused initial value.
            try? db.transaction { db in
                try OutboxRow.deleteAll(of: deal, in: db)
                try StoredChangeRow.deleteAll(of: deal, in: db)
                try SnapshotRow.deleteAll(of: deal, in: db)
                try DealRow.delete(deal, in: db)
            }
            documents = documents.filter { $0.key.deal != deal }
            throw error
        }
        return deal
    }

    /// Every deal in the store, newest first, from the stored summaries (no document is loaded
    /// unless its summary is missing).
    public func deals() throws(StoreError) -> [DealSummary] {
        do {
            let decoder = JSONDecoder()
            return try DealRow.all(in: db).map { row in
                let json = try row.summary ?? summaryJSON(row.id, updatedAt: row.updatedAt)
                if row.summary == nil { try DealRow.setSummary(json, of: row.id, in: db) }
                return try decoder.decode(DealSummary.self, from: Data(json.utf8))
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// One deal as this device may see it.
    public func card(_ deal: DealID) throws(StoreError) -> DealCard {
        do {
            guard try dealExists(deal) else { throw StoreError.noSuchDeal(deal) }
            return try currentCard(deal)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Sets a field (resolving any conflict on it).
    public func set(_ deal: DealID, _ path: String, _ value: FieldValue) throws(StoreError) {
        try edit(deal, DealDocumentKind.of(path: path)) { editor, document, tx in try editor.set(path, value, in: document, tx) }
    }

    /// Sets a field from text, parsed by the field's type (`"300 000"` for money, …).
    public func set(_ deal: DealID, _ path: String, parsing text: String) throws(StoreError) {
        guard let spec = schema.field(path) else { throw .unknownField(path: path, suggestion: schema.suggestion(for: path)) }
        let value: FieldValue
        do { value = try spec.value(parsing: text) } catch { throw .invalidValue(error) }
        try set(deal, path, value)
    }

    /// Resolves a conflict by writing the value that should stand: an ordinary write, except
    /// that a collaborative text holding several texts ends as one even when it shows the
    /// value already (``CardEditor/resolve(_:_:in:_:)``).
    public func resolve(_ deal: DealID, _ path: String, _ value: FieldValue) throws(StoreError) {
        try edit(deal, DealDocumentKind.of(path: path)) { editor, document, tx in try editor.resolve(path, value, in: document, tx) }
    }

    /// Clears a field.
    public func clear(_ deal: DealID, _ path: String) throws(StoreError) {
        try edit(deal, DealDocumentKind.of(path: path)) { editor, document, tx in try editor.clear(path, in: document, tx) }
    }

    /// Appends a record to a list field; returns its index.
    @discardableResult
    public func addRecord(_ deal: DealID, _ path: String, _ record: [String: FieldValue]) throws(StoreError) -> Int {
        var index = 0
        try edit(deal, DealDocumentKind.of(path: path)) { editor, document, tx in
            index = try editor.addRecord(path, record, in: document, tx)
        }
        return index
    }

    /// Removes the record at `index` of a list field.
    public func removeRecord(_ deal: DealID, _ path: String, at index: Int) throws(StoreError) {
        try edit(deal, DealDocumentKind.of(path: path)) { editor, document, tx in try editor.removeRecord(path, at: index, in: document, tx) }
    }

    /// Posts a message to the deal's conversation as this device's user.
    public func post(_ deal: DealID, _ text: String) throws(StoreError) {
        try addRecord(deal, "conversation.messages", ["text": .text(text), "author": .text(identity.user)])
    }

    /// Marks a stage skipped, or resumes it; its values are kept.
    public func skip(_ deal: DealID, _ stage: Stage, _ skipped: Bool = true, document kind: DealDocumentKind = .shared) throws(StoreError) {
        try edit(deal, kind) { editor, document, tx in try editor.skip(stage, skipped, document: kind, in: document, tx) }
    }

    /// The card's history, oldest first: who, which role, device and channel, when, what.
    public func history(_ deal: DealID) throws(StoreError) -> [HistoryEntry] {
        do {
            guard try dealExists(deal) else { throw StoreError.noSuchDeal(deal) }
            let reader = CardReader(schema: schema)
            return try readableDocuments(deal)
                .flatMap { reader.history($0.value, kind: $0.key) }
                .sorted { ($0.author?.time ?? 0, $0.change) < ($1.author?.time ?? 0, $1.change) }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Makes one local change of a deal's document with the card editor and commits it
    /// before returning. A refused edit changes nothing, in memory or on disk.
    func edit(_ deal: DealID, _ kind: DealDocumentKind,
              _ body: (CardEditor, Document, Transaction) throws -> Void) throws(StoreError) {
        guard schema.canRead(role: identity.role, document: kind) else {
            throw .documentNotReadable(role: identity.role, document: kind)
        }
        do {
            guard try dealExists(deal) else { throw StoreError.noSuchDeal(deal) }
            let existing = try document(deal, kind)
            let document = existing ?? Document(replica: identity.replica)
            let editor = CardEditor(schema: schema, role: identity.role)
            let change = try document.change(metadata: identity.author(at: clock()).encoded()) { tx in
                if existing == nil { try editor.createContainers(document: kind, in: document, tx) }
                try body(editor, document, tx)
            }
            guard let change else { return }
            let key = DocumentKey(deal: deal, kind: kind)
            documents[key] = document
            do {
                try persist([change], deal: deal, kind: kind, local: true, document: document)
            } catch {
                // The disk refused: forget the in-memory edit so memory matches disk.
                documents[key] = nil
                throw error
            }
            notify(StoreEvent(deal: deal, document: kind, changes: [change.id], origin: .local))
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
