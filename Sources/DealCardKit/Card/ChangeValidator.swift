import CRDT

/// The write rules of deal cards applied to a received change: every op must be a write the
/// author's role may make, of a value the field's type allows, in the shape the card
/// encoding uses (``CardCodec``). The relay runs it on every pushed change; the device makes
/// only edits that pass it (``CardEditor``). One set of rules, used by both.
public struct ChangeValidator {
    public let schema: DealSchema

    public init(schema: DealSchema) {
        self.schema = schema
    }

    /// Checks `change` against `document` as it is before the change is applied.
    ///
    /// - Throws: ``WriteRefusal`` naming the first op that breaks a rule.
    public func validate(_ change: Change, role: Role, kind: DealDocumentKind, in document: Document) throws(WriteRefusal) {
        guard schema.canRead(role: role, document: kind) else {
            throw WriteRefusal(code: .permission, path: nil, reason: "role \(role.rawValue) may not write the \(kind.rawValue) card")
        }
        // Objects created earlier in this change: their field path and parent.
        var created: [ObjectID: (path: String, parent: ObjectID)] = [:]
        var counter = change.startOp
        for op in change.ops {
            let id = OpID(counter: counter, replica: change.replica)
            counter += op.width
            if op.object.isRoot {
                try checkRootOp(op.action, role: role, kind: kind, in: document, change: change)
                if case .set(.map(let key), .object, _) = op.action { created[ObjectID(id)] = (key, .root) }
                continue
            }
            guard let path = created[op.object]?.path ?? document.rootKey(of: op.object),
                  let parent = created[op.object]?.parent ?? document.parent(of: op.object)?.object else {
                throw WriteRefusal(code: .unknownObject, path: nil, reason: "op on object \(op.object), which is not part of a field")
            }
            let spec = try permitted(path, role: role, kind: kind)
            switch spec.type {
            case .list(let fields):
                if parent.isRoot {
                    // The list itself: add a record (a new map) or remove one.
                    switch op.action {
                    case .insert(_, .object(.map)): created[ObjectID(id)] = (path, op.object)
                    case .delete(.element, _): break
                    default: throw structure(path, "a list field takes record inserts and removals only")
                    }
                } else {
                    // A record: set or clear its declared sub-fields.
                    switch op.action {
                    case .set(.map(let name), .scalar(let scalar), _):
                        guard let field = fields.first(where: { $0.name == name }) else {
                            throw WriteRefusal(code: .invalidValue, path: path, reason: "records have no field \"\(name)\"")
                        }
                        guard CardCodec.value(scalar, as: field.type) != nil else {
                            throw WriteRefusal(code: .invalidValue, path: "\(path).\(name)", reason: "expected \(field.type.expectation)")
                        }
                    case .delete(.map(let name), _):
                        guard fields.contains(where: { $0.name == name }) else {
                            throw WriteRefusal(code: .invalidValue, path: path, reason: "records have no field \"\(name)\"")
                        }
                    default: throw structure(path, "a record takes sub-field writes only")
                    }
                }
            case .text(collaborative: true):
                switch op.action {
                case .insertText, .deleteRun: break
                default: throw structure(path, "a collaborative text takes text edits only")
                }
            default:
                throw structure(path, "a \(spec.type.name) field holds a single value, not an object")
            }
        }
    }

    /// Checks that a change's metadata names the sender: no claiming another user, role or
    /// device.
    public func validateAuthor(_ change: Change, user: String, role: Role, device: String?) throws(WriteRefusal) {
        guard let author = ChangeAuthor(metadata: change.metadata) else {
            throw WriteRefusal(code: .forgedAuthor, path: nil, reason: "change metadata is not an author record")
        }
        guard author.user == user, author.role == role else {
            throw WriteRefusal(code: .forgedAuthor, path: nil,
                               reason: "change claims user \(author.user) as \(author.role.rawValue), but the token is \(user) as \(role.rawValue)")
        }
        if let device, author.device != device {
            throw WriteRefusal(code: .forgedAuthor, path: nil, reason: "change claims device \(author.device), but the token is bound to device \(device)")
        }
    }

    /// Whether op `id` is in the causal past of `change` (its author had seen it).
    private func seen(_ id: OpID, by change: Change, in document: Document) -> Bool {
        guard let holder = document.change(containing: id) else { return false }
        if holder.replica == change.replica { return holder.seq < change.seq }
        return holder.seq <= change.deps[holder.replica]
    }

    private func checkRootOp(_ action: Op.Action, role: Role, kind: DealDocumentKind, in document: Document, change: Change) throws(WriteRefusal) {
        let key: String
        switch action {
        case .set(.map(let name), _, _), .delete(.map(let name), _): key = name
        default: throw structure(nil, "the card's root holds fields by path; \(action) is not a field write")
        }
        if let stage = CardCodec.stage(ofSkipKey: key) {
            guard schema.fields(in: stage, document: kind).contains(where: { $0.writers.contains(role) }) else {
                throw WriteRefusal(code: .permission, path: key, reason: "role \(role.rawValue) writes no field of stage \(stage.rawValue)")
            }
            if case .set(_, let value, _) = action, value != .scalar(.bool(true)) {
                throw WriteRefusal(code: .invalidValue, path: key, reason: "a skip marker is true or absent")
            }
            return
        }
        // Creating an empty container for a list or text field supersedes nothing, so any
        // reader of the document may do it (the creator of a deal makes them all; two staff
        // devices may start the staff card at once, and readers show concurrent containers
        // together). Replacing a container the author had seen would hide it: that needs
        // write permission, checked below.
        if case .set(_, .object(let objectKind), let pred) = action, pred.isEmpty,
           let spec = schema.field(key), spec.document == kind, CardCodec.containerKind(spec.type) == objectKind,
           !((try? document.conflicts(.root, key)) ?? []).contains(where: { seen($0.id, by: change, in: document) }) {
            return
        }
        // A root key is a field path exactly: a path below a list field names a record, which
        // lives inside the list object, never beside it in the root map.
        guard schema.field(key) != nil else {
            if let list = schema.resolve(key), list.path != key {
                throw structure(key, "\"\(key)\" is not a field: records of \(list.path) are elements of its list, not root keys")
            }
            _ = try permitted(key, role: role, kind: kind)
            throw structure(key, "\"\(key)\" is not a field of the card")
        }
        let spec = try permitted(key, role: role, kind: kind)
        if case .set(_, let value, _) = action {
            switch value {
            case .scalar(let scalar):
                guard CardCodec.isScalar(spec.type), CardCodec.value(scalar, as: spec.type) != nil else {
                    throw WriteRefusal(code: .invalidValue, path: key, reason: "expected \(spec.type.expectation)")
                }
            case .object(let objectKind):
                guard CardCodec.containerKind(spec.type) == objectKind else {
                    throw structure(key, "a \(spec.type.name) field cannot hold a new \(objectKind)")
                }
            }
        }
    }

    private func permitted(_ path: String, role: Role, kind: DealDocumentKind) throws(WriteRefusal) -> FieldSpec {
        do {
            return try schema.checkWrite(role: role, path: path, document: kind)
        } catch {
            throw WriteRefusal(code: .permission, path: path, reason: "\(error)")
        }
    }

    private func structure(_ path: String?, _ reason: String) -> WriteRefusal {
        WriteRefusal(code: .badStructure, path: path, reason: reason)
    }
}
