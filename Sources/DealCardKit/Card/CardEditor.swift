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
    /// every record; a collaborative text is spliced to the new text (only the changed middle),
    /// so that the field shows exactly the new text, even when it held several texts (see
    /// `setText`).
    public func set(_ path: String, _ value: FieldValue, in document: Document, _ tx: Transaction) throws(CardError) {
        try set(path, value, endingConflict: false, in: document, tx)
    }

    /// Resolves a field's conflict with the value that should stand: as ``set(_:_:in:_:)``,
    /// and a collaborative text that holds several texts ends as one, even when its shown
    /// value is already the new text (it is then collapsed into the newest text rather than
    /// left as it is; see `setText`).
    public func resolve(_ path: String, _ value: FieldValue, in document: Document, _ tx: Transaction) throws(CardError) {
        try set(path, value, endingConflict: true, in: document, tx)
    }

    private func set(_ path: String, _ value: FieldValue, endingConflict: Bool, in document: Document, _ tx: Transaction) throws(CardError) {
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
                try setText(spec, to: text, collapsing: endingConflict, in: document, tx)
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

    /// Makes a collaborative text field show `text`, here at once and on every replica once
    /// the change arrives.
    ///
    /// A field whose text was created concurrently on several devices holds several text
    /// objects, shown joined with line feeds that belong to none of them (``CardReader``). The
    /// new text is diffed against that shown value (common prefix and suffix), then applied:
    /// - *in place* when that shows it: each text loses its own scalars inside the changed
    ///   range, and the text where the change starts (at its end if it starts at the line feed
    ///   after it) gets the new middle. Typing inside one text and deleting whole texts are
    ///   such edits, and with one text every edit is. Nothing moves, so concurrent edits of
    ///   any of the texts merge scalar by scalar.
    /// - *collapsed* otherwise (the edit removes or replaces a line feed between two texts, or
    ///   keeps one that emptying a text would take away): the whole value goes into the newest
    ///   text (greatest object id, the same on every replica that knows the same texts) and
    ///   every other is emptied, which ends the conflict. The newest text keeps the scalars of
    ///   its own that the diff keeps; the older texts' kept content is moved in before them.
    ///
    /// - Throws: ``CardError/tooLarge(path:bytes:limit:)`` when the new middle is larger than
    ///   one insert may be; moved content is inserted in pieces within that limit.
    /// - Complexity: O(length of the field), plus one op per deleted run and per insert.
    ///
    /// With `collapsing`, an edit that would be in place is collapsed all the same when the
    /// field holds more than one non-empty text (a resolve ends the conflict).
    private func setText(_ spec: FieldSpec, to text: String, collapsing: Bool = false, in document: Document, _ tx: Transaction) throws {
        let texts = CardReader(schema: schema).locatedTexts(of: spec, in: document)
        let new = Array(text.unicodeScalars)
        // The non-empty texts as the reader shows them, each with where it starts.
        var parts: [(object: ObjectID, scalars: [Unicode.Scalar], start: Int)] = []
        var shown: [Unicode.Scalar] = []
        for located in texts where !located.text.isEmpty {
            if !shown.isEmpty { shown.append("\n") }
            parts.append((located.object, Array(located.text.unicodeScalars), shown.count))
            shown.append(contentsOf: parts[parts.count - 1].scalars)
        }
        var prefix = 0
        while prefix < shown.count && prefix < new.count && shown[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < shown.count - prefix && suffix < new.count - prefix
            && shown[shown.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let end = shown.count - suffix
        let middle = new[prefix..<(new.count - suffix)]
        try checkInsert(middle, path: spec.path)
        guard let newest = texts.last else {
            let object = try tx.putObject(.root, spec.path, .text)
            try tx.splice(object, at: 0, insert: Self.string(middle))
            return
        }

        let target = parts.firstIndex { prefix <= $0.start + $0.scalars.count }
        var splices: [(object: ObjectID, at: Int, delete: Int, insert: ArraySlice<Unicode.Scalar>)] = []
        var after = parts.map(\.scalars)
        for (index, part) in parts.enumerated() {
            let from = max(prefix, part.start) - part.start
            let delete = max(0, min(end, part.start + part.scalars.count) - part.start - from)
            let insert = index == target ? middle : []
            guard delete > 0 || !insert.isEmpty else { continue }
            splices.append((part.object, from, delete, insert))
            after[index].replaceSubrange(from..<(from + delete), with: insert)
        }
        if !(collapsing && parts.count > 1), Array(after.filter { !$0.isEmpty }.joined(separator: ["\n"])) == new {
            for splice in splices {
                try tx.splice(splice.object, at: splice.at, delete: splice.delete, insert: Self.string(splice.insert))
            }
            return
        }

        let own = Array(newest.text.unicodeScalars)
        // Where the newest text starts in the shown value (it is its last part, if not empty).
        let start = shown.count - own.count
        // It keeps its first `head` and last `tail` scalars; between them goes the new middle
        // (with any older content the change reaches), before them the older content it keeps.
        let head = max(0, prefix - start)
        let tail = min(own.count, suffix)
        let moved = prefix >= start ? start : 0
        for older in texts.dropLast() where !older.text.isEmpty {
            try tx.splice(older.object, at: 0, delete: older.text.unicodeScalars.count)
        }
        try tx.splice(newest.object, at: head, delete: own.count - tail - head)
        try insert(new[(moved + head)..<(new.count - tail)], into: newest.object, at: head, tx)
        try insert(new[0..<moved], into: newest.object, at: 0, tx)
    }

    /// Inserts `scalars` at `index` of text `object`, in inserts of at most
    /// ``CardBudget/valueBytes`` UTF-8 bytes each (what the relay accepts of one insert).
    private func insert(_ scalars: ArraySlice<Unicode.Scalar>, into object: ObjectID, at index: Int, _ tx: Transaction) throws {
        let limit = CardBudget.standard.valueBytes
        var index = index
        var start = scalars.startIndex
        var bytes = 0
        for position in scalars.indices {
            let width = UTF8.width(scalars[position])
            if bytes + width > limit {
                try tx.splice(object, at: index, insert: Self.string(scalars[start..<position]))
                index += position - start
                start = position
                bytes = 0
            }
            bytes += width
        }
        if start < scalars.endIndex { try tx.splice(object, at: index, insert: Self.string(scalars[start...])) }
    }

    private static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        String(String.UnicodeScalarView(scalars))
    }

    /// Refuses an insert the relay would refuse for its size (``CardBudget/valueBytes``).
    private func checkInsert(_ scalars: ArraySlice<Unicode.Scalar>, path: String) throws(CardError) {
        let bytes = scalars.reduce(0) { $0 + UTF8.width($1) }
        let limit = CardBudget.standard.valueBytes
        if bytes > limit { throw .tooLarge(path: path, bytes: bytes, limit: limit) }
    }
}
