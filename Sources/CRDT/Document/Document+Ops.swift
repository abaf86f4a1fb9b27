/// Why one op cannot be applied; wrapped into ``CRDTError/invalidChange(_:reason:)`` or
/// mapped to a specific ``CRDTError`` for local edits.
struct OpRefusal: Error {
    let message: String
    let error: CRDTError?

    init(_ message: String, _ error: CRDTError? = nil) {
        self.message = message
        self.error = error
    }
}

extension Document {
    /// Applies one op with id `id`. Every check happens before anything is changed, so a
    /// refused op leaves the document as it was. `change` is set for received changes: then
    /// every id the op names must lie in that change's causal past.
    func apply(_ op: Op, id: OpID, change: Change?) throws(OpRefusal) {
        func requirePast(_ reference: OpID, _ what: String) throws(OpRefusal) {
            if let change, !isInCausalPast(reference, of: change, before: id) {
                throw OpRefusal("\(what) \(reference) is not in the change's causal past")
            }
        }
        try requirePast(op.object.op, "object")
        guard let object = objects[op.object] else {
            throw OpRefusal("no object \(op.object)", .noSuchObject(op.object))
        }
        switch (op.action, object) {
        case (.set(.map(let key), let value, let pred), .map(let map)):
            for reference in pred { try requirePast(reference, "pred") }
            map.keys[key, default: Register()].write(id: id, value: makeValue(value, id: id, in: op.object, at: .map(key)), pred: pred)

        case (.delete(.map(let key), let pred), .map(let map)):
            for reference in pred { try requirePast(reference, "pred") }
            map.keys[key]?.write(id: id, value: nil, pred: pred)

        case (.increment(.map(let key), let counter, let delta), .map(let map)):
            try requirePast(counter, "counter")
            guard map.keys[key]?.increment(id: id, counter: counter, by: delta) == true else {
                throw OpRefusal("no counter \(counter) at \"\(key)\"", .notACounter(op.object, .map(key)))
            }

        case (.set(.element(let element), let value, let pred), .sequence(let list)) where list.kind == .list:
            try requireElement(element, in: list, requirePast)
            for reference in pred { try requirePast(reference, "pred") }
            let stored = makeValue(value, id: id, in: op.object, at: .element(element))
            updateElement(element, in: list) { $0.write(id: id, value: stored, pred: pred) }

        case (.delete(.element(let element), let pred), .sequence(let list)) where list.kind == .list:
            try requireElement(element, in: list, requirePast)
            for reference in pred { try requirePast(reference, "pred") }
            updateElement(element, in: list) { $0.write(id: id, value: nil, pred: pred) }

        case (.increment(.element(let element), let counter, let delta), .sequence(let list)) where list.kind == .list:
            try requireElement(element, in: list, requirePast)
            try requirePast(counter, "counter")
            guard list.registers[element]?.contains(counter) == true else {
                throw OpRefusal("no counter \(counter) at element \(element)", .notACounter(op.object, .element(element)))
            }
            updateElement(element, in: list) { _ = $0.increment(id: id, counter: counter, by: delta) }

        case (.insert(let origin, let value), .sequence(let list)) where list.kind == .list:
            if let origin { try requireElement(origin, in: list, requirePast) }
            let stored = makeValue(value, id: id, in: op.object, at: .element(id))
            list.insert(id: id, after: origin, count: 1, scalars: [])
            var register = Register()
            register.write(id: id, value: stored, pred: [])
            list.registers[id] = register

        case (.insertText(let origin, let scalars), .sequence(let text)) where text.kind == .text:
            guard !scalars.isEmpty else { throw OpRefusal("empty text insert") }
            if let origin { try requireElement(origin, in: text, requirePast) }
            text.insert(id: id, after: origin, count: scalars.count, scalars: scalars)

        case (.deleteRun(let start, let count), .sequence(let text)) where text.kind == .text:
            guard count >= 1, count <= UInt64(Int32.max), start.counter <= UInt64.max - count else {
                throw OpRefusal("bad delete count \(count)")
            }
            try requirePast(start.advanced(by: count - 1), "element")
            var cursor = start
            var remaining = Int(count)
            while remaining > 0 {
                guard let (run, offset) = text.locate(cursor) else {
                    throw OpRefusal("no element \(cursor) in text \(op.object)")
                }
                let step = min(remaining, run.count - offset)
                remaining -= step
                cursor = cursor.advanced(by: UInt64(step))
            }
            text.setVisible(false, start: start, count: Int(count))

        default:
            throw OpRefusal("action \(op.action) does not fit a \(object.kind) object",
                            .wrongObjectKind(op.object, expected: op.action.expectedKind, actual: object.kind))
        }
    }

    private func requireElement(
        _ element: OpID, in list: SequenceObject, _ requirePast: (OpID, String) throws(OpRefusal) -> Void
    ) throws(OpRefusal) {
        try requirePast(element, "element")
        guard list.contains(element) else { throw OpRefusal("no element \(element)") }
    }

    /// Turns a written value into a stored one, creating the object a `NewValue.object` names.
    private func makeValue(_ value: NewValue, id: OpID, in parent: ObjectID, at key: Key) -> Value {
        switch value {
        case .scalar(let scalar):
            return .scalar(scalar)
        case .object(let kind):
            let objectID = ObjectID(id)
            parents[objectID] = (parent, key)
            objects[objectID] = kind == .map ? .map(MapObject()) : .sequence(SequenceObject(kind: kind))
            return .object(objectID, kind)
        }
    }

    /// Edits a list element's register and keeps the element's visibility in step with it.
    private func updateElement(_ element: OpID, in list: SequenceObject, _ edit: (inout Register) -> Void) {
        var register = list.registers[element] ?? Register()
        let wasVisible = !register.isEmpty
        edit(&register)
        list.registers[element] = register
        let isVisible = !register.isEmpty
        if wasVisible != isVisible { list.setVisible(isVisible, start: element, count: 1) }
    }
}

extension Op.Action {
    /// The object kind an action applies to (for error messages).
    var expectedKind: ObjectKind {
        switch self {
        case .set(.map, _, _), .delete(.map, _), .increment(.map, _, _): .map
        case .insertText, .deleteRun: .text
        default: .list
        }
    }
}
