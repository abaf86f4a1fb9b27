extension DealSchema {
    /// Whether `role` may read `document` (and so have it synced to its device).
    ///
    /// Every role reads the shared card; only staff roles read the staff card. Within
    /// a readable document every field is readable: the schema has no hidden fields
    /// inside a card, which is why the hidden ones live in a second document.
    public func canRead(role: Role, document: DealDocumentKind) -> Bool {
        document.isReadable(by: role)
    }

    /// Checks that `role` may write `target` in `document`, and returns the field.
    ///
    /// `target` is a field path or a path below a list field (see ``resolve(_:)``):
    /// adding, removing or editing a record, or one sub-field of it, is a write of the
    /// list field and follows its rule. Checks run in this order, and the first
    /// failure is thrown: the target must name a field; the role must be able to read
    /// `document`; the field must live in `document`; the role must be a writer.
    /// - Complexity: O(segments of `target`), no allocation on success beyond the lookup.
    /// - Throws: ``PermissionError``.
    @discardableResult
    public func checkWrite(role: Role, path target: String, document: DealDocumentKind) throws(PermissionError) -> FieldSpec {
        guard let field = resolve(target) else {
            throw .unknownField(path: target, suggestion: suggestion(for: target))
        }
        guard canRead(role: role, document: document) else {
            throw .documentNotReadable(role: role, document: document)
        }
        guard field.document == document else {
            throw .wrongDocument(path: target, fieldDocument: field.document, target: document)
        }
        guard field.writers.contains(role) else {
            throw .notAWriter(role: role, path: target, writers: field.orderedWriters)
        }
        return field
    }

    /// Whether ``checkWrite(role:path:document:)`` would succeed.
    public func canWrite(role: Role, path target: String, document: DealDocumentKind) -> Bool {
        (try? checkWrite(role: role, path: target, document: document)) != nil
    }

    /// The fields `role` may write in `document`, in schema order (for building forms).
    public func writableFields(for role: Role, document: DealDocumentKind) -> [FieldSpec] {
        guard canRead(role: role, document: document) else { return [] }
        return fields.filter { $0.document == document && $0.writers.contains(role) }
    }
}
