import CRDT

/// Reads typed values, conflicts, progress and history out of card documents.
public struct CardReader {
    public let schema: DealSchema

    public init(schema: DealSchema) {
        self.schema = schema
    }

    /// Values, conflicts and skip markers of one document.
    ///
    /// - Complexity: O(keys the document holds), not O(fields of the schema): a card fills
    ///   few of its fields, and a field without a key shows nothing.
    public func read(_ document: Document, kind: DealDocumentKind)
        -> (values: [String: FieldValue], conflicts: [String: [FieldConflict]], skipped: Set<Stage>) {
        var values: [String: FieldValue] = [:]
        var conflicts: [String: [FieldConflict]] = [:]
        var skipped = Set<Stage>()
        // In no order: what is read goes into dictionaries.
        let keys = (try? document.unorderedKeys(.root)) ?? []
        values.reserveCapacity(keys.count)
        for key in keys {
            if let stage = CardCodec.stage(ofSkipKey: key), case .scalar(.bool(true))? = try? document.get(.root, key) {
                skipped.insert(stage)
            }
            if let spec = schema.field(key, in: kind) { read(spec, of: document, into: &values, &conflicts) }
        }
        return (values, conflicts, skipped)
    }

    /// The value and conflicts of one field of the document.
    private func read(_ spec: FieldSpec, of document: Document, into values: inout [String: FieldValue],
                      _ conflicts: inout [String: [FieldConflict]]) {
        if CardCodec.isScalar(spec.type) {
            let entries = (try? document.conflicts(.root, spec.path)) ?? []
            guard let first = entries.first else { return }
            if let value = first.value.scalar.flatMap({ CardCodec.value($0, as: spec.type) }) { values[spec.path] = value }
            if entries.count > 1 { conflicts[spec.path] = entries.map { conflict($0, spec.type, document) } }
        } else if case .list(let fields) = spec.type {
            let located = locatedRecords(of: spec, in: document)
            if !located.isEmpty { values[spec.path] = .list(located.map(\.record)) }
            for (index, item) in located.enumerated() {
                for field in fields {
                    let entries = (try? document.conflicts(item.object, field.name)) ?? []
                    if entries.count > 1 {
                        conflicts["\(spec.path)[\(index)].\(field.name)"] = entries.map { conflict($0, field.type, document) }
                    }
                }
            }
        } else {
            // Texts created concurrently on several devices are all kept: shown one after
            // the other (by object id) and reported as a conflict. An empty text shows
            // nothing, not even a line feed, so that an edit that empties texts
            // (`CardEditor.set`) shows exactly what was typed.
            let texts = locatedTexts(of: spec, in: document)
            guard !texts.isEmpty else { return }
            let shown = texts.filter { !$0.text.isEmpty }
            values[spec.path] = .text(shown.map(\.text).joined(separator: "\n"))
            if shown.count > 1 {
                conflicts[spec.path] = shown.map { object, text in
                    FieldConflict(value: .text(text), author: document.change(containing: object.op).flatMap { ChangeAuthor(metadata: $0.metadata) },
                                  opID: object.op)
                }
            }
        }
    }

    /// The records of a list field, with where each lives. Concurrently created lists of one
    /// field are read one after the other (ordered by object id), so no record is hidden.
    public func locatedRecords(of spec: FieldSpec, in document: Document)
        -> [(list: ObjectID, index: Int, object: ObjectID, record: FieldValue)] {
        guard case .list(let fields) = spec.type else { return [] }
        let lists = ((try? document.conflicts(.root, spec.path)) ?? []).compactMap { $0.value.objectID }.sorted()
        var result: [(list: ObjectID, index: Int, object: ObjectID, record: FieldValue)] = []
        for list in lists {
            guard let elements = try? document.values(list) else { continue }
            for (index, element) in elements.enumerated() {
                guard case .object(let object, .map) = element else { continue }
                var record: [String: FieldValue] = [:]
                for field in fields {
                    if let scalar = (try? document.get(object, field.name))??.scalar,
                       let value = CardCodec.value(scalar, as: field.type) {
                        record[field.name] = value
                    }
                }
                result.append((list, index, object, .record(record)))
            }
        }
        return result
    }

    /// The text objects of a collaborative text field with their contents, oldest (smallest
    /// object id) first: one, or several when devices created the field concurrently.
    /// Entries that are not texts are skipped.
    func locatedTexts(of spec: FieldSpec, in document: Document) -> [(object: ObjectID, text: String)] {
        ((try? document.conflicts(.root, spec.path)) ?? [])
            .compactMap { entry in entry.value.objectID.flatMap { object in (try? document.text(object)).map { (object, $0) } } }
            .sorted { $0.object < $1.object }
    }

    /// The records of a list field.
    public func records(of spec: FieldSpec, in document: Document) -> [FieldValue] {
        locatedRecords(of: spec, in: document).map(\.record)
    }

    private func conflict(_ entry: Conflict, _ type: FieldType, _ document: Document) -> FieldConflict {
        FieldConflict(value: entry.value.scalar.flatMap { CardCodec.value($0, as: type) },
                      author: document.change(containing: entry.id).flatMap { ChangeAuthor(metadata: $0.metadata) },
                      opID: entry.id)
    }

    /// The whole card from the documents the reader may see.
    ///
    /// - Parameter touches: the stages' last edits, when the caller keeps them up to date
    ///   (``addTouches(of:in:to:)`` as changes arrive); nil computes them from the histories.
    /// - Complexity: O(fields) with `touches`, plus O(history) without.
    public func card(id: DealID, documents: [DealDocumentKind: Document], touches: StageTouches? = nil) -> DealCard {
        var values: [String: FieldValue] = [:]
        var conflicts: [String: [FieldConflict]] = [:]
        var skipped = Set<Stage>()
        var lastTouch = touches ?? StageTouches()
        for (kind, document) in documents {
            let read = read(document, kind: kind)
            values.merge(read.values) { first, _ in first }
            conflicts.merge(read.conflicts) { first, _ in first }
            skipped.formUnion(read.skipped)
            if touches == nil { addTouches(retainedAnd: document.history[...], in: document, to: &lastTouch) }
        }
        let snapshot = CardSnapshot(values: values, skippedStages: skipped, documents: Set(documents.keys))
        let stages = schema.stageStatuses(in: snapshot).map {
            StageState(stage: $0.stage, status: $0.status, lastChannel: lastTouch.latest[$0.stage]?.channel)
        }
        return DealCard(id: id, values: values, conflicts: conflicts, skippedStages: skipped, stages: stages,
                        completeness: schema.completeness(of: snapshot), documents: Set(documents.keys))
    }

    /// History entries of `changes` of a document (a slice of its history).
    public func history(_ changes: ArraySlice<Change>, of document: Document, kind: DealDocumentKind) -> [HistoryEntry] {
        changes.map { entry($0, in: document, kind: kind) }
    }

    /// The document's history, oldest first (in the order this replica applied it).
    public func history(_ document: Document, kind: DealDocumentKind) -> [HistoryEntry] {
        document.history.map { entry($0, in: document, kind: kind) }
    }

    private func entry(_ change: Change, in document: Document, kind: DealDocumentKind) -> HistoryEntry {
        var paths: [String] = []
        var edits: [String] = []
        forEachEdit(of: change, in: document) { op, path in
            if !paths.contains(path) { paths.append(path) }
            if let line = line(op, path: path), !edits.contains(line) { edits.append(line) }
        }
        return HistoryEntry(change: change.id, document: kind, author: ChangeAuthor(metadata: change.metadata), edits: edits, paths: paths)
    }

    /// Takes the edits of `changes` of a document (a slice of its history) into `touches`:
    /// what ``StageTouches/add(_:schema:)`` of their ``history(_:of:kind:)`` does, without
    /// writing the entries' lines.
    ///
    /// - Complexity: O(ops of `changes`).
    public func addTouches(of changes: ArraySlice<Change>, in document: Document, to touches: inout StageTouches) {
        for change in changes {
            guard let author = ChangeAuthor(metadata: change.metadata) else { continue }
            forEachEdit(of: change, in: document) { _, path in
                touches.add(change: change.id, author: author, path: path, schema: schema)
            }
        }
    }

    /// Calls `body` with each op of `change` that edits a field or a skip marker and the root
    /// key it falls under. The sub-field writes of a record added by this change are part of
    /// "record added", so they are not edits of their own.
    private func forEachEdit(of change: Change, in document: Document, _ body: (Op, String) -> Void) {
        var counter = change.startOp
        var created = Set<ObjectID>()
        for op in change.ops {
            let id = OpID(counter: counter, replica: change.replica)
            counter += op.width
            if created.contains(op.object) { continue }
            if case .insert(_, .object) = op.action { created.insert(ObjectID(id)) }
            if let path = path(of: op, in: document) { body(op, path) }
        }
    }

    /// The root key an op edits; nil for structure (creating a field's empty list or text)
    /// and for ops that name no root key.
    private func path(of op: Op, in document: Document) -> String? {
        guard op.object.isRoot else { return document.rootKey(of: op.object) }
        switch op.action {
        case .set(.map, .object, let pred) where pred.isEmpty: return nil
        case .set(.map(let key), _, _): return key
        case .delete(.map(let key), _): return key
        default: return nil
        }
    }

    /// The history line of an op that edits `path` (``path(of:in:)``), if it has one.
    private func line(_ op: Op, path: String) -> String? {
        if op.object.isRoot {
            switch op.action {
            case .set(_, let value, _):
                if let stage = CardCodec.stage(ofSkipKey: path) { return "stage \(stage.rawValue) skipped" }
                guard let spec = schema.field(path) else { return "\(path) set" }
                if case .scalar(let scalar) = value, let typed = CardCodec.value(scalar, as: spec.type) {
                    return "\(path) = \(typed.displayText)"
                }
                return nil
            case .delete:
                if let stage = CardCodec.stage(ofSkipKey: path) { return "stage \(stage.rawValue) resumed" }
                return "\(path) cleared"
            default:
                return nil
            }
        }
        switch op.action {
        case .insert: return "\(path): record added"
        case .delete(.element, _): return "\(path): record removed"
        case .insertText, .deleteRun: return "\(path) edited"
        default: return "\(path): record updated"
        }
    }
}
