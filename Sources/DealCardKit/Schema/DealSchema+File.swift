import CanonicalJSON
extension DealSchema {
    /// Extends `base` (normally ``standard``) with a dealer group's schema file.
    ///
    /// A schema file is a JSON object with `version` (must be 1), an optional
    /// `name`, and `fields`, an array of entries. An entry whose `path` is new
    /// declares a field: `type`, `stage` and `writers` are required; `title`,
    /// `required` (default false), `currency` (money; default "RUB"), `values`
    /// (enum; required), `collaborative` (text), `fields` (list; the record's
    /// sub-fields, each `{name, type, title?, currency?, values?}`) and `document`
    /// (must agree with the path: staff-card paths start with `staff.`) are optional.
    ///
    /// An entry whose `path` is already in `base` extends that field. Extension is
    /// additive and never changes how existing data is stored:
    /// - `writers` adds roles (it cannot remove any);
    /// - `values` adds enum values (existing ones may be repeated);
    /// - `fields` adds record sub-fields (an existing one may be repeated unchanged);
    /// - `title` and `required` replace the built-in ones;
    /// - `type`, `stage`, `document`, `currency` and `collaborative` may be given
    ///   only with the built-in value (so a full schema re-reads as itself).
    /// Because nothing is ever removed or retyped, a card written under the default
    /// stays valid under every group's schema, and a device with an older schema
    /// never writes something the relay's schema cannot read.
    ///
    /// ```json
    /// {
    ///   "version": 1,
    ///   "name": "north-group",
    ///   "fields": [
    ///     {"path": "vehicle.warrantyYears", "type": "integer", "stage": "vehicle",
    ///      "writers": ["buyer", "sales"], "title": "Extended warranty, years"},
    ///     {"path": "payment.status", "values": ["chargeback"]},
    ///     {"path": "tradeIn.appraisedValue", "writers": ["head"]}
    ///   ]
    /// }
    /// ```
    ///
    /// - Throws: ``SchemaError`` naming the place: invalid JSON (with its byte
    ///   offset), unknown keys, a missing or unsupported `version`, bad path syntax,
    ///   duplicate paths, unknown types, stages or roles, and incompatible
    ///   redefinitions of a field of `base`.
    public init<Bytes: Collection>(extending base: DealSchema = .standard, file bytes: Bytes) throws(SchemaError)
    where Bytes.Element == UInt8 {
        let json: SchemaJSON
        do { json = try SchemaJSON(parsing: bytes) } catch { throw SchemaError(at: "", error.description) }
        try self.init(extending: base, json: json)
    }

    /// Extends `base` with an already parsed schema file; see ``init(extending:file:)``.
    public init(extending base: DealSchema = .standard, json: SchemaJSON) throws(SchemaError) {
        let top = try SchemaObjectReader(json, at: "", what: "a schema file")
        try top.checkKeys(["version", "name", "fields"])
        guard let versionValue = top.members["version"] else { throw SchemaError(at: "", "missing key \"version\"") }
        guard versionValue.int64Value == Int64(DealSchema.formatVersion) else {
            throw SchemaError(at: "version", "unsupported version \(versionValue.snippet); this build reads version \(DealSchema.formatVersion)")
        }
        let name = try top.string("name") ?? base.name
        guard let entries = try top.array("fields") else { throw SchemaError(at: "", "missing key \"fields\"") }

        var fields = base.fields
        var seen: [String: Int] = [:]
        for (index, entry) in entries.enumerated() {
            let reader = try SchemaObjectReader(entry, at: "fields[\(index)]", what: "a field")
            try reader.checkKeys(["path", "type", "stage", "document", "title", "writers", "required",
                "currency", "values", "collaborative", "fields"])
            let path = try reader.requiredString("path")
            if let problem = FieldPath.problem(with: path) {
                throw reader.error("path", "invalid path \(SchemaText.quoted(path)): \(problem)")
            }
            if let earlier = seen[path] {
                throw reader.error("path", "duplicate path \(SchemaText.quoted(path)) (also at fields[\(earlier)])")
            }
            seen[path] = index
            let field: FieldSpec
            if let position = fields.firstIndex(where: { $0.path == path }) {
                field = try DealSchema.extend(fields[position], with: reader)
                fields[position] = field
            } else {
                field = try DealSchema.declare(path, with: reader)
                fields.append(field)
            }
            if let problem = DealSchema.problem(with: field) { throw SchemaError(at: reader.location, problem) }
        }
        do { try self.init(name: name, fields: fields) } catch {
            // Positions in `fields` are schema positions; point at the file instead.
            let path = fields[Int(error.location.dropFirst(7).prefix { $0.isNumber }) ?? 0].path
            throw SchemaError(at: seen[path].map { "fields[\($0)].path" } ?? "fields", error.reason)
        }
    }

    /// A new field from its entry.
    private static func declare(_ path: String, with reader: SchemaObjectReader) throws(SchemaError) -> FieldSpec {
        guard let typeName = try reader.typeName("type") else { throw SchemaError(at: reader.location, "missing key \"type\" for the new field \(path)") }
        guard let stageName = try reader.string("stage") else { throw SchemaError(at: reader.location, "missing key \"stage\" for the new field \(path)") }
        guard let writers = try reader.roles("writers") else { throw SchemaError(at: reader.location, "missing key \"writers\" for the new field \(path)") }
        let stage: Stage
        do { stage = try Stage.named(stageName) } catch { throw reader.error("stage", error.text) }
        if let documentName = try reader.string("document") {
            guard let document = DealDocumentKind(rawValue: documentName) else {
                throw reader.error("document", "unknown document \(SchemaText.quoted(documentName)); expected shared or staff")
            }
            guard document == DealDocumentKind.of(path: path) else {
                throw reader.error("document", "\(path) is in \(DealDocumentKind.of(path: path).displayName); staff-card paths, and only they, start with \"staff.\"")
            }
        }
        let type = try fieldType(named: typeName, reader: reader, allowsList: true)
        let title = try reader.string("title") ?? path
        return FieldSpec(path, type, stage: stage, writers: writers, required: try reader.bool("required") ?? false, title: title)
    }

    /// Builds a type from its name and the type-specific keys, refusing keys that do
    /// not belong to that type.
    static func fieldType(named name: String, reader: SchemaObjectReader, allowsList: Bool) throws(SchemaError) -> FieldType {
        for (key, owner) in [("currency", "money"), ("values", "enum"), ("collaborative", "text"), ("fields", "list")]
        where reader.has(key) && name != owner {
            throw reader.error(key, "only \(owner) fields take \(SchemaText.quoted(key)); this one is \(name)")
        }
        switch name {
        case "text": return .text(collaborative: try reader.bool("collaborative") ?? false)
        case "money":
            let currency = try reader.string("currency") ?? Currency.defaultCode
            guard Currency.isValidCode(currency) else {
                throw reader.error("currency", "invalid currency \(SchemaText.quoted(currency)); expected a code of three capital letters like \"RUB\"")
            }
            return .money(currency: currency)
        case "integer": return .integer
        case "date": return .date
        case "boolean": return .boolean
        case "enum":
            guard let values = try reader.strings("values"), !values.isEmpty else {
                throw SchemaError(at: reader.location, "an enum needs \"values\": a non-empty array of strings")
            }
            return .enumeration(values: values)
        default:
            guard allowsList else { throw reader.error("type", "a record sub-field cannot be a list") }
            guard let entries = try reader.array("fields"), !entries.isEmpty else {
                throw SchemaError(at: reader.location, "a list needs \"fields\": a non-empty array of record sub-fields")
            }
            return .list(fields: try subFields(entries, at: reader.at("fields"), existing: []))
        }
    }

    /// Reads record sub-field entries; a name already in `existing` must repeat it exactly.
    static func subFields(_ entries: [SchemaJSON], at location: String, existing: [RecordField]) throws(SchemaError) -> [RecordField] {
        var result = existing
        var seen: Set<String> = []
        for (index, entry) in entries.enumerated() {
            let reader = try SchemaObjectReader(entry, at: "\(location)[\(index)]", what: "a record sub-field")
            try reader.checkKeys(["name", "type", "title", "currency", "values"])
            let name = try reader.requiredString("name")
            guard FieldPath.isIdentifier(name) else {
                throw reader.error("name", "invalid sub-field name \(SchemaText.quoted(name)): it must start with a lowercase letter and contain only letters and digits")
            }
            guard seen.insert(name).inserted else { throw reader.error("name", "duplicate sub-field \(SchemaText.quoted(name))") }
            guard let typeName = try reader.typeName("type") else { throw SchemaError(at: reader.location, "missing key \"type\"") }
            let type = try fieldType(named: typeName, reader: reader, allowsList: false)
            let field = RecordField(name, type, title: try reader.string("title"))
            if let old = existing.first(where: { $0.name == name }) {
                guard old.type == field.type else {
                    throw reader.error("type", "redefines the sub-field \(name) as \(describe(field.type)); it is \(describe(old.type))")
                }
                if reader.has("title"), let position = result.firstIndex(where: { $0.name == name }) {
                    result[position].title = field.title
                }
            } else {
                result.append(field)
            }
        }
        return result
    }

    /// A type for messages: `money in RUB`, `enum (none, pending, …)`, `collaborative text`.
    static func describe(_ type: FieldType) -> String {
        switch type {
        case .money(let currency): "money in \(currency)"
        case .text(let collaborative): collaborative ? "collaborative text" : "text"
        case .enumeration(let values): "enum (" + values.joined(separator: ", ") + ")"
        default: type.name
        }
    }

    /// Applies an entry of a schema file to a field that already exists.
    ///
    /// See ``init(extending:file:)`` for what an extension may do. Every refusal
    /// names the key and says what the built-in field is.
    static func extend(_ field: FieldSpec, with reader: SchemaObjectReader) throws(SchemaError) -> FieldSpec {
        var result = field
        let rule = "an extension may add writers, enum values and record sub-fields, or change title and required"
        if let typeName = try reader.typeName("type"), typeName != field.type.name {
            throw reader.error("type", "redefines the built-in field \(field.path) as \(typeName); it is \(describe(field.type)), and \(rule)")
        }
        if let stageName = try reader.string("stage"), stageName != field.stage.rawValue {
            throw reader.error("stage", "moves the built-in field \(field.path) to stage \(SchemaText.quoted(stageName)); it is in \(field.stage.rawValue), and \(rule)")
        }
        if let documentName = try reader.string("document"), documentName != field.document.rawValue {
            throw reader.error("document", "\(field.path) is in \(field.document.displayName); the document follows the path")
        }
        for (key, owner) in [("currency", "money"), ("values", "enum"), ("collaborative", "text"), ("fields", "list")]
        where reader.has(key) && field.type.name != owner {
            throw reader.error(key, "only \(owner) fields take \(SchemaText.quoted(key)); \(field.path) is \(field.type.name)")
        }
        switch field.type {
        case .money(let currency):
            if let given = try reader.string("currency"), given != currency {
                throw reader.error("currency", "changes the currency of \(field.path) to \(SchemaText.quoted(given)); it is \(currency), and stored amounts would change meaning")
            }
        case .text(let collaborative):
            if let given = try reader.bool("collaborative"), given != collaborative {
                throw reader.error("collaborative", "changes how \(field.path) is stored (\(describe(field.type))); \(rule)")
            }
        case .enumeration(let values):
            if let added = try reader.strings("values") {
                result.type = .enumeration(values: values + added.filter { !values.contains($0) })
            }
        case .list(let existing):
            if let entries = try reader.array("fields") {
                result.type = .list(fields: try DealSchema.subFields(entries, at: reader.at("fields"), existing: existing))
            }
        default:
            break
        }
        if let writers = try reader.roles("writers") { result.writers.formUnion(writers) }
        if let title = try reader.string("title") { result.title = title }
        if let required = try reader.bool("required") { result.isRequired = required }
        return result
    }
}
