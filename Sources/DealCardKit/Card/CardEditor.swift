import CRDT

/// Turns typed edits of a deal card into ops of one change, after checking them against the
/// schema and the author's role: a forbidden or ill-typed edit throws ``CardError`` before
/// anything is written.
public struct CardEditor {
    public let schema: DealSchema
    public let role: Role

    public init(schema: DealSchema, role: Role) {
        self.schema = schema
        self.role = role
    }

    /// The field spec for a write by this role, or the permission error.
    func writable(_ path: String) throws(CardError) -> FieldSpec {
        do {
            return try schema.checkWrite(role: role, path: path, document: DealDocumentKind.of(path: path))
        } catch {
            throw .permission(error)
        }
    }

    /// Sets a field. Scalars overwrite (and so resolve any conflict); a list value replaces
    /// every record; a collaborative text is spliced to the new text (only the changed middle).
    public func set(_ path: String, _ value: FieldValue, in document: Document, _ tx: Transaction) throws(CardError) {
        let spec = try writable(path)
        guard value.conforms(to: spec.type) else {
            throw .invalidValue(FieldValueError(path: path, expected: spec.type.expectation, found: value.displayText))
        }
        // A collaborative text may grow past the limit edit by edit; only what one edit
        // inserts is bounded (in `splice`).
        if spec.type != .text(collaborative: true) { try checkSize(value, path: path) }
        do {
            switch (spec.type, value) {
            case (.list, .list(let records)):
                for old in CardReader(schema: schema).locatedRecords(of: spec, in: document).reversed() {
                    try tx.remove(old.list, at: old.index)
                }
                let list = try container(spec, in: document, tx)
                for record in records { try insert(record, into: list, spec: spec, in: document, tx) }
            case (.text(collaborative: true), .text(let text)):
                let object = try container(spec, in: document, tx)
                try splice(object, to: text, path: path, in: document, tx)
            default:
                guard CardCodec.isScalar(spec.type), let scalar = CardCodec.scalar(value) else {
                    throw CardError.invalidValue(FieldValueError(path: path, expected: spec.type.expectation, found: value.displayText))
                }
                try tx.put(.root, path, scalar)
            }
        } catch let error as CRDTError {
            throw .engine(error)
        } catch {
            throw error as! CardError
        }
    }

    /// Refuses a value the relay would refuse for its size (``CardBudget``), before any op.
    func checkSize(_ value: FieldValue, path: String) throws(CardError) {
        let limit = CardBudget.standard.valueBytes
        switch value {
        case .text(let text):
            if text.utf8.count > limit { throw .tooLarge(path: path, bytes: text.utf8.count, limit: limit) }
        case .record(let fields):
            for (name, field) in fields { try checkSize(field, path: "\(path).\(name)") }
        case .list(let records):
            for record in records { try checkSize(record, path: path) }
        default:
            return
        }
    }

    /// Clears a field (its key is deleted; a concurrent write of it survives).
    public func clear(_ path: String, in document: Document, _ tx: Transaction) throws(CardError) {
        _ = try writable(path)
        do { try tx.delete(.root, path) } catch { throw .engine(error) }
    }

    /// Appends a record to a list field and returns its index.
    @discardableResult
    public func addRecord(_ path: String, _ record: [String: FieldValue], in document: Document, _ tx: Transaction) throws(CardError) -> Int {
        let spec = try writable(path)
        guard case .list(let fields) = spec.type else {
            throw .wrongFieldKind(path: path, expected: "list", actual: spec.type.name)
        }
        for (name, value) in record {
            guard let field = fields.first(where: { $0.name == name }) else {
                throw .unknownRecordField(path: path, field: name, known: fields.map(\.name))
            }
            guard value.conforms(to: field.type) else {
                throw .invalidValue(FieldValueError(path: "\(path).\(name)", expected: field.type.expectation, found: value.displayText))
            }
            try checkSize(value, path: "\(path).\(name)")
        }
        do {
            let list = try container(spec, in: document, tx)
            try insert(.record(record), into: list, spec: spec, in: document, tx)
            // The index in the merged view that readers and removeRecord use.
            return CardReader(schema: schema).locatedRecords(of: spec, in: document).count - 1
        } catch let error as CRDTError {
            throw .engine(error)
        } catch {
            throw error as! CardError
        }
    }

    /// Removes the record at `index` of a list field.
    public func removeRecord(_ path: String, at index: Int, in document: Document, _ tx: Transaction) throws(CardError) {
        let spec = try writable(path)
        guard case .list = spec.type else { throw .wrongFieldKind(path: path, expected: "list", actual: spec.type.name) }
        let located = CardReader(schema: schema).locatedRecords(of: spec, in: document)
        guard index >= 0 && index < located.count else { throw .noSuchRecord(path: path, index: index, count: located.count) }
        do { try tx.remove(located[index].list, at: located[index].index) } catch { throw .engine(error) }
    }

    /// Marks a stage skipped (or resumes it); its values are kept either way.
    public func skip(_ stage: Stage, _ skipped: Bool, document kind: DealDocumentKind, in document: Document, _ tx: Transaction) throws(CardError) {
        guard schema.fields(in: stage, document: kind).contains(where: { $0.writers.contains(role) }) else {
            throw .cannotSkip(role: role, stage: stage)
        }
        do {
            if skipped { try tx.put(.root, CardCodec.skipKey(stage), true) } else { try tx.delete(.root, CardCodec.skipKey(stage)) }
        } catch { throw .engine(error) }
    }

    /// Creates the empty containers (lists, collaborative texts) of every field of a
    /// document, so that later edits on several devices land in the same objects.
    public func createContainers(document kind: DealDocumentKind, in document: Document, _ tx: Transaction) throws(CRDTError) {
        for spec in schema.fields(in: kind) {
            guard let containerKind = CardCodec.containerKind(spec.type), try document.get(.root, spec.path) == nil else { continue }
            try tx.putObject(.root, spec.path, containerKind)
        }
    }

    /// The container of a list or text field, created when missing.
    private func container(_ spec: FieldSpec, in document: Document, _ tx: Transaction) throws -> ObjectID {
        if case .object(let id, _)? = try document.get(.root, spec.path) { return id }
        return try tx.putObject(.root, spec.path, CardCodec.containerKind(spec.type)!)
    }

    private func insert(_ record: FieldValue, into list: ObjectID, spec: FieldSpec, in document: Document, _ tx: Transaction) throws {
        guard case .record(let fields) = record else { return }
        let object = try tx.insertObject(list, at: try document.length(list), .map)
        for name in fields.keys.sorted() {
            if let scalar = CardCodec.scalar(fields[name]!) { try tx.put(object, name, scalar) }
        }
    }

    /// Splices text object `object` to `text`, replacing only what differs in the middle.
    private func splice(_ object: ObjectID, to text: String, path: String, in document: Document, _ tx: Transaction) throws {
        let old = Array(try document.text(object).unicodeScalars)
        let new = Array(text.unicodeScalars)
        var prefix = 0
        while prefix < old.count && prefix < new.count && old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix && suffix < new.count - prefix
            && old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        var inserted = String.UnicodeScalarView()
        inserted.append(contentsOf: new[prefix..<(new.count - suffix)])
        let bytes = inserted.reduce(0) { $0 + UTF8.width($1) }
        let limit = CardBudget.standard.valueBytes
        if bytes > limit { throw CardError.tooLarge(path: path, bytes: bytes, limit: limit) }
        try tx.splice(object, at: prefix, delete: old.count - prefix - suffix, insert: String(inserted))
    }
}
