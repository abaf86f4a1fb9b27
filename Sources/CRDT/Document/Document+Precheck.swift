extension Document {
    /// Refuses a received change that would fail halfway through applying, before any op of
    /// it is applied: every object, element and counter an op acts on must exist in the
    /// document or be made by an earlier op of the same change, and fit the op.
    ///
    /// Without it, a change whose last op fails leaves its earlier ops applied and the
    /// document must be rebuilt from its history to undo them: a hostile client could make a
    /// relay replay a whole deal for every change it pushes. With it, a refused change costs a
    /// scan of its own ops (and of the runs its deletes cover).
    ///
    /// - Complexity: O(ops + runs covered by its deletes), with a lookup per op.
    func precheck(_ change: Change) throws(CRDTError) {
        var objectsMade: [ObjectID: ObjectKind] = [:]
        var elementsMade: [ObjectID: [(start: UInt64, end: UInt64)]] = [:]
        var countersMade: Set<CounterSite> = []
        var counter = change.startOp
        for (number, op) in change.ops.enumerated() {
            let id = OpID(counter: counter, replica: change.replica)
            counter = counter &+ op.width
            func refuse(_ reason: String) -> CRDTError {
                .invalidChange(change.id, reason: "op \(number) (\(id)): \(reason)")
            }
            let kind: ObjectKind
            if let made = objectsMade[op.object] {
                kind = made
            } else if let object = objects[op.object] {
                kind = object.kind
            } else {
                throw refuse("no object \(op.object)")
            }
            func hasElement(_ element: OpID) -> Bool {
                if case .sequence(let sequence)? = objects[op.object], sequence.contains(element) { return true }
                return element.replica == change.replica
                    && (elementsMade[op.object] ?? []).contains { $0.start <= element.counter && element.counter < $0.end }
            }
            func hasCounter(_ counterID: OpID, at key: Key) -> Bool {
                if countersMade.contains(CounterSite(object: op.object, key: key, id: counterID)) { return true }
                switch (objects[op.object], key) {
                case (.map(let map)?, .map(let name)):
                    return map.keys[name]?.entries.contains { $0.id == counterID && $0.isCounter } ?? false
                case (.sequence(let list)?, .element(let element)):
                    return list.registers[element]?.entries.contains { $0.id == counterID && $0.isCounter } ?? false
                default:
                    return false
                }
            }
            func made(_ value: NewValue, at key: Key) {
                switch value {
                case .object(let objectKind): objectsMade[ObjectID(id)] = objectKind
                case .scalar(.counter): countersMade.insert(CounterSite(object: op.object, key: key, id: id))
                case .scalar: break
                }
            }
            switch (op.action, kind) {
            case (.set(.map(let key), let value, _), .map):
                made(value, at: .map(key))
            case (.delete(.map, _), .map):
                break
            case (.increment(.map(let key), let counterID, _), .map):
                guard hasCounter(counterID, at: .map(key)) else { throw refuse("no counter \(counterID) at \"\(key)\"") }
            case (.set(.element(let element), let value, _), .list):
                guard hasElement(element) else { throw refuse("no element \(element)") }
                made(value, at: .element(element))
            case (.delete(.element(let element), _), .list):
                guard hasElement(element) else { throw refuse("no element \(element)") }
            case (.increment(.element(let element), let counterID, _), .list):
                guard hasElement(element) else { throw refuse("no element \(element)") }
                guard hasCounter(counterID, at: .element(element)) else { throw refuse("no counter \(counterID) at element \(element)") }
            case (.insert(let origin, let value), .list):
                if let origin, !hasElement(origin) { throw refuse("no element \(origin)") }
                elementsMade[op.object, default: []].append((id.counter, id.counter &+ 1))
                made(value, at: .element(id))
            case (.insertText(let origin, let scalars), .text):
                guard !scalars.isEmpty else { throw refuse("empty text insert") }
                if let origin, !hasElement(origin) { throw refuse("no element \(origin)") }
                elementsMade[op.object, default: []].append((id.counter, id.counter &+ UInt64(scalars.count)))
            case (.deleteRun(let start, let count), .text):
                guard count >= 1, count <= UInt64(Int32.max), start.counter <= UInt64.max - count else {
                    throw refuse("bad delete count \(count)")
                }
                try checkRun(start: start, count: count, in: op.object, made: elementsMade[op.object] ?? [], author: change.replica,
                             refuse: refuse)
            default:
                throw refuse("action \(op.action) does not fit a \(kind) object")
            }
        }
    }

    /// Checks that every element `start…start+count-1` exists: in the text's runs, or among
    /// the ids the change itself inserted.
    private func checkRun(start: OpID, count: UInt64, in object: ObjectID, made: [(start: UInt64, end: UInt64)], author: ReplicaID,
                          refuse: (String) -> CRDTError) throws(CRDTError) {
        let sequence: SequenceObject?
        if case .sequence(let existing)? = objects[object] { sequence = existing } else { sequence = nil }
        var cursor = start
        var remaining = count
        while remaining > 0 {
            var step: UInt64 = 0
            if let (run, offset) = sequence?.locate(cursor) {
                step = UInt64(run.count - offset)
            } else if cursor.replica == author, let range = made.first(where: { $0.start <= cursor.counter && cursor.counter < $0.end }) {
                step = range.end - cursor.counter
            } else {
                throw refuse("no element \(cursor) in text \(object)")
            }
            step = min(step, remaining)
            remaining -= step
            cursor = cursor.advanced(by: step)
        }
    }
}

/// Where a counter lives: an object, the key or element in it, and the op that wrote it.
struct CounterSite: Hashable {
    var object: ObjectID
    var key: Key
    var id: OpID
}
