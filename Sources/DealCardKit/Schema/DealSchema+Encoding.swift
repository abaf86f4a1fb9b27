import CanonicalJSON
extension DealSchema {
    /// The whole schema as a version-1 schema file, every field fully declared.
    ///
    /// Reading it back with ``init(extending:file:)`` over ``standard`` gives an
    /// equal schema, which is how a relay hands its schema to devices.
    public var json: SchemaJSON {
        .object([
            "version": .integer(Int64(DealSchema.formatVersion)),
            "name": .string(name),
            "fields": .array(fields.map(DealSchema.entry)),
        ])
    }

    /// The canonical encoding of ``json``: sorted keys, no whitespace; equal schemas
    /// give equal bytes.
    public var canonicalJSON: [UInt8] { json.canonicalBytes }

    private static func entry(_ field: FieldSpec) -> SchemaJSON {
        var members = typeMembers(field.type)
        members["path"] = .string(field.path)
        members["stage"] = .string(field.stage.rawValue)
        members["document"] = .string(field.document.rawValue)
        members["title"] = .string(field.title)
        members["writers"] = .array(field.orderedWriters.map { .string($0.rawValue) })
        members["required"] = .bool(field.isRequired)
        return .object(members)
    }

    private static func typeMembers(_ type: FieldType) -> [String: SchemaJSON] {
        var members: [String: SchemaJSON] = ["type": .string(type.name)]
        switch type {
        case .money(let currency): members["currency"] = .string(currency)
        case .text(let collaborative) where collaborative: members["collaborative"] = .bool(true)
        case .enumeration(let values): members["values"] = .array(values.map(SchemaJSON.string))
        case .list(let fields):
            members["fields"] = .array(fields.map { sub in
                var subMembers = typeMembers(sub.type)
                subMembers["name"] = .string(sub.name)
                subMembers["title"] = .string(sub.title)
                return .object(subMembers)
            })
        default: break
        }
        return members
    }
}
