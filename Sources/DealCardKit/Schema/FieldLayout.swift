/// Where the fields of a schema live, by position in ``DealSchema/fields``: each one's
/// document and stage, and the fields of each document.
///
/// Derived from the fields alone, once per schema, so two schemas with the same fields have
/// the same layout. The progress functions and the card reader run on every card read (a
/// sync answer reads one card per deal it brings) and would otherwise work out a field's
/// document from its path, and a stage's fields by filtering all of them, each time.
struct FieldLayout: Sendable, Hashable {
    /// The document of each field (``FieldSpec/document``).
    let documents: [DealDocumentKind]
    /// The position in `Stage.allCases` of each field's stage.
    let stagePositions: [Int]
    /// The fields of each document, in schema order.
    let fieldsByDocument: [DealDocumentKind: [FieldSpec]]

    init(_ fields: [FieldSpec]) {
        let stages = Stage.allCases
        documents = fields.map(\.document)
        stagePositions = fields.map { field in stages.firstIndex(of: field.stage)! }
        var byDocument: [DealDocumentKind: [FieldSpec]] = [:]
        for (field, document) in zip(fields, documents) { byDocument[document, default: []].append(field) }
        fieldsByDocument = byDocument
    }
}
