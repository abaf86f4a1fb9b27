/// One of the values concurrently written at a map key or list element.
public struct Conflict: Hashable, Sendable {
    /// The op that wrote the value.
    public var id: OpID
    /// The value (counters include their increments).
    public var value: Value
    /// The replica that wrote it.
    public var author: ReplicaID { id.replica }
}

extension Document {
    // MARK: Internal access

    func map(_ object: ObjectID) throws(CRDTError) -> MapObject {
        guard let found = objects[object] else { throw .noSuchObject(object) }
        guard case .map(let map) = found else { throw .wrongObjectKind(object, expected: .map, actual: found.kind) }
        return map
    }

    func sequence(_ object: ObjectID, _ kind: ObjectKind) throws(CRDTError) -> SequenceObject {
        guard let found = objects[object] else { throw .noSuchObject(object) }
        guard case .sequence(let sequence) = found, sequence.kind == kind else {
            throw .wrongObjectKind(object, expected: kind, actual: found.kind)
        }
        return sequence
    }

    func mapRegister(_ object: ObjectID, _ key: String) throws(CRDTError) -> Register? {
        try map(object).keys[key]
    }

    /// The element after which an insert at `index` goes (nil: the head).
    func origin(_ object: ObjectID, _ kind: ObjectKind, _ index: Int) throws(CRDTError) -> OpID? {
        let sequence = try sequence(object, kind)
        guard index >= 0 && index <= sequence.visibleCount else {
            throw .indexOutOfRange(object, index: index, length: sequence.visibleCount)
        }
        return index == 0 ? nil : sequence.elementID(at: index - 1)
    }

    func listElement(_ object: ObjectID, _ index: Int) throws(CRDTError) -> (OpID, Register) {
        let list = try sequence(object, .list)
        guard index >= 0 && index < list.visibleCount else {
            throw .indexOutOfRange(object, index: index, length: list.visibleCount)
        }
        let element = list.elementID(at: index)
        return (element, list.registers[element] ?? Register())
    }

    /// The visible elements `index..<index+count` as spans of consecutive ids of one replica.
    func visibleSpans(of sequence: SequenceObject, from index: Int, count: Int) -> [(start: OpID, count: Int)] {
        guard count > 0 else { return [] }
        var spans: [(start: OpID, count: Int)] = []
        var (run, offset) = sequence.tree.findVisible(index)
        var remaining = count
        while remaining > 0 {
            if run.isVisible {
                let take = min(remaining, run.count - offset)
                let start = run.start.advanced(by: UInt64(offset))
                if let last = spans.last, last.start.replica == start.replica,
                   last.start.counter + UInt64(last.count) == start.counter {
                    spans[spans.count - 1].count += take
                } else {
                    spans.append((start, take))
                }
                remaining -= take
            }
            offset = 0
            if remaining > 0 { run = sequence.tree.run(after: run)! }
        }
        return spans
    }

    // MARK: Public reads

    /// Where `object` was created: its parent object and the key or element there (nil for
    /// the root and for unknown ids). An object keeps its place even after being overwritten.
    public func parent(of object: ObjectID) -> (object: ObjectID, key: Key)? {
        parents[object]
    }

    /// The key of the root map under which `object` was created, however deep (nil for the
    /// root itself and for unknown ids).
    ///
    /// - Complexity: O(depth).
    public func rootKey(of object: ObjectID) -> String? {
        var current = object
        while let (parent, key) = parents[current] {
            if parent.isRoot {
                if case .map(let name) = key { return name }
                return nil
            }
            current = parent
        }
        return nil
    }

    /// The kind of object `object`, or nil if there is none.
    public func kind(of object: ObjectID) -> ObjectKind? { objects[object]?.kind }

    /// The value shown at `key` of map `object` (the winner among concurrent values).
    public func get(_ object: ObjectID, _ key: String) throws(CRDTError) -> Value? {
        try mapRegister(object, key)?.winner?.current
    }

    /// Every value concurrently written at `key` of map `object`, winner first. More than one
    /// means a conflict: a later ``Transaction/put(_:_:_:)`` there resolves it.
    public func conflicts(_ object: ObjectID, _ key: String) throws(CRDTError) -> [Conflict] {
        (try mapRegister(object, key)?.visible ?? []).map { Conflict(id: $0.id, value: $0.current) }
    }

    /// The keys of map `object` that hold a value, sorted.
    public func keys(_ object: ObjectID) throws(CRDTError) -> [String] {
        try map(object).visibleKeys
    }

    /// The keys of map `object` that hold a value, in no particular order (the order may
    /// differ between replicas and calls): for a reader that does not need them sorted.
    public func unorderedKeys(_ object: ObjectID) throws(CRDTError) -> [String] {
        try map(object).unorderedVisibleKeys
    }

    /// The value at `index` of list `object`.
    public func get(_ object: ObjectID, at index: Int) throws(CRDTError) -> Value? {
        try listElement(object, index).1.winner?.current
    }

    /// Every value concurrently written at `index` of list `object`, winner first.
    public func conflicts(_ object: ObjectID, at index: Int) throws(CRDTError) -> [Conflict] {
        try listElement(object, index).1.visible.map { Conflict(id: $0.id, value: $0.current) }
    }

    /// The element count of a list, the scalar count of a text, or the key count of a map.
    public func length(_ object: ObjectID) throws(CRDTError) -> Int {
        guard let found = objects[object] else { throw .noSuchObject(object) }
        switch found {
        case .map(let map): return map.keys.values.reduce(0) { $0 + ($1.isEmpty ? 0 : 1) }
        case .sequence(let sequence): return sequence.visibleCount
        }
    }

    /// The values of list `object` in order.
    public func values(_ object: ObjectID) throws(CRDTError) -> [Value] {
        let list = try sequence(object, .list)
        var values: [Value] = []
        values.reserveCapacity(list.visibleCount)
        list.tree.forEachRun { run in
            if run.isVisible {
                for offset in 0..<run.count {
                    if let value = list.registers[run.start.advanced(by: UInt64(offset))]?.winner?.current {
                        values.append(value)
                    }
                }
            }
            return true
        }
        return values
    }

    /// The content of text `object`.
    public func text(_ object: ObjectID) throws(CRDTError) -> String {
        let text = try sequence(object, .text)
        var utf8: [UInt8] = []
        utf8.reserveCapacity(text.visibleCount)
        text.tree.forEachRun { run in
            if run.isVisible { utf8.appendUTF8(run.scalars) }
            return true
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The length of text `object` in UTF-16 code units (what UIKit and JavaScript count).
    public func utf16Length(_ object: ObjectID) throws(CRDTError) -> Int {
        try sequence(object, .text).utf16Count
    }

    /// Converts a scalar index of text `object` to a UTF-16 offset.
    public func utf16Offset(_ object: ObjectID, scalarIndex: Int) throws(CRDTError) -> Int {
        let text = try sequence(object, .text)
        guard scalarIndex >= 0 && scalarIndex <= text.visibleCount else {
            throw .indexOutOfRange(object, index: scalarIndex, length: text.visibleCount)
        }
        if scalarIndex == text.visibleCount { return text.utf16Count }
        let (run, offset) = text.tree.findVisible(scalarIndex)
        return text.tree.position(of: run, offset: offset).utf16
    }

    /// Converts a UTF-16 offset of text `object` to a scalar index (an offset inside a
    /// surrogate pair maps to the scalar it splits).
    public func scalarIndex(_ object: ObjectID, utf16Offset: Int) throws(CRDTError) -> Int {
        let text = try sequence(object, .text)
        guard utf16Offset >= 0 && utf16Offset <= text.utf16Count else {
            throw .indexOutOfRange(object, index: utf16Offset, length: text.utf16Count)
        }
        return text.tree.scalarIndex(forUTF16: utf16Offset)
    }
}
