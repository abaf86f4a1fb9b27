import CanonicalJSON
/// Reads one JSON object of a schema file, naming the location in every error.
///
/// Each accessor checks the member's JSON kind; ``checkKeys(_:)`` refuses members
/// the format does not define, so a misspelt key is an error and not silently ignored.
struct SchemaObjectReader {
    let members: [String: SchemaJSON]
    /// Where the object is, e.g. `fields[3]`; empty for the top level.
    let location: String

    init(_ json: SchemaJSON, at location: String, what: String) throws(SchemaError) {
        guard case .object(let members) = json else {
            throw SchemaError(at: location, "expected \(what) (a JSON object), found \(json.kindDescription)")
        }
        self.members = members
        self.location = location
    }

    /// The location of a member, e.g. `fields[3].type`.
    func at(_ key: String) -> String { location.isEmpty ? key : "\(location).\(key)" }

    func error(_ key: String, _ reason: String) -> SchemaError { SchemaError(at: at(key), reason) }

    /// Refuses every key outside `allowed`, naming them all and the allowed ones.
    func checkKeys(_ allowed: [String]) throws(SchemaError) {
        let unknown = members.keys.filter { !allowed.contains($0) }.sorted()
        guard !unknown.isEmpty else { return }
        let names = unknown.map(SchemaText.quoted).joined(separator: ", ")
        var reason = (unknown.count == 1 ? "unknown key " : "unknown keys ") + names
        if unknown.count == 1,
            let near = allowed.min(by: { SchemaText.editDistance(unknown[0], $0) < SchemaText.editDistance(unknown[0], $1) }),
            SchemaText.editDistance(unknown[0], near) <= 2
        {
            reason += " (did you mean \(SchemaText.quoted(near))?)"
        }
        throw SchemaError(at: location, reason + "; expected " + allowed.joined(separator: ", "))
    }

    func has(_ key: String) -> Bool { members[key] != nil }

    func string(_ key: String) throws(SchemaError) -> String? {
        guard let value = members[key] else { return nil }
        guard case .string(let text) = value else { throw error(key, "expected a string, found \(value.kindDescription)") }
        return text
    }

    func requiredString(_ key: String) throws(SchemaError) -> String {
        guard let text = try string(key) else { throw SchemaError(at: location, "missing key \(SchemaText.quoted(key))") }
        return text
    }

    func bool(_ key: String) throws(SchemaError) -> Bool? {
        guard let value = members[key] else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "expected true or false, found \(value.kindDescription)") }
        return flag
    }

    func array(_ key: String) throws(SchemaError) -> [SchemaJSON]? {
        guard let value = members[key] else { return nil }
        guard case .array(let elements) = value else { throw error(key, "expected an array, found \(value.kindDescription)") }
        return elements
    }

    /// An array of strings; empty strings and duplicates are refused.
    func strings(_ key: String) throws(SchemaError) -> [String]? {
        guard let elements = try array(key) else { return nil }
        var result: [String] = []
        for (index, element) in elements.enumerated() {
            let place = "\(at(key))[\(index)]"
            guard case .string(let text) = element else {
                throw SchemaError(at: place, "expected a string, found \(element.kindDescription)")
            }
            guard !text.isEmpty else { throw SchemaError(at: place, "empty string") }
            guard !result.contains(text) else { throw SchemaError(at: place, "duplicate value \(SchemaText.quoted(text))") }
            result.append(text)
        }
        return result
    }

    /// The `writers` member as roles, each bad name located at `writers[i]`.
    func roles(_ key: String) throws(SchemaError) -> Set<Role>? {
        guard let names = try strings(key) else { return nil }
        var roles: Set<Role> = []
        for (index, name) in names.enumerated() {
            do { roles.insert(try Role.named(name)) } catch { throw SchemaError(at: "\(at(key))[\(index)]", error.text) }
        }
        return roles
    }

    /// The type name at `key`, checked against the known names.
    func typeName(_ key: String) throws(SchemaError) -> String? {
        guard let name = try string(key) else { return nil }
        guard FieldType.names.contains(name) else {
            throw error(key, "unknown type \(SchemaText.quoted(name)); expected one of " + FieldType.names.joined(separator: ", "))
        }
        return name
    }
}
