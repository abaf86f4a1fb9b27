@testable import CRDT

/// A document's whole visible state as a plain value, concurrent values and their op ids
/// included, so two replicas can be compared exactly.
indirect enum Materialized: Equatable, CustomStringConvertible {
    case scalar(ScalarValue)
    case map([String: [Entry]])
    case list([[Entry]])
    case text(String)

    struct Entry: Equatable {
        var id: OpID
        var value: Materialized
    }

    var description: String {
        switch self {
        case .scalar(let value): return "\(value)"
        case .text(let text): return "text(\(text.debugDescription))"
        case .list(let items): return "[" + items.map { $0.map(\.value.description).joined(separator: "|") }.joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.keys.sorted().map { key in
                "\(key): " + entries[key]!.map(\.value.description).joined(separator: "|")
            }.joined(separator: ", ") + "}"
        }
    }
}

extension Document {
    /// The state of `object` and everything under it.
    func materialize(_ object: ObjectID = .root) throws -> Materialized {
        func entry(_ conflict: Conflict) throws -> Materialized.Entry {
            switch conflict.value {
            case .scalar(let value): return .init(id: conflict.id, value: .scalar(value))
            case .object(let id, _): return .init(id: conflict.id, value: try materialize(id))
            }
        }
        switch kind(of: object) {
        case .map?:
            var entries: [String: [Materialized.Entry]] = [:]
            for key in try keys(object) { entries[key] = try conflicts(object, key).map(entry) }
            return .map(entries)
        case .list?:
            return .list(try (0..<length(object)).map { try conflicts(object, at: $0).map(entry) })
        case .text?:
            return .text(try text(object))
        case nil:
            throw CRDTError.noSuchObject(object)
        }
    }

    /// Every object reachable from the root through shown and conflicting values.
    func reachableObjects() throws -> [(ObjectID, ObjectKind)] {
        var found: [(ObjectID, ObjectKind)] = [(.root, .map)]
        var index = 0
        while index < found.count {
            let (object, kind) = found[index]
            index += 1
            var values: [Value] = []
            switch kind {
            case .map: for key in try keys(object) { values += try conflicts(object, key).map(\.value) }
            case .list: for position in 0..<(try length(object)) { values += try conflicts(object, at: position).map(\.value) }
            case .text: break
            }
            for case .object(let id, let childKind) in values { found.append((id, childKind)) }
        }
        return found
    }
}
