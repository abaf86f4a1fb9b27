/// The local edits of one change, made inside ``Document/change(metadata:_:)``.
///
/// Each edit takes effect at once (later reads and positions in the same transaction see
/// it) and becomes one op of the change. A refused edit throws ``CRDTError`` and changes
/// nothing; if the body throws, the whole transaction is rolled back. A change holds at most
/// ``Change/maximumOps`` ops using ``Change/maximumWidth`` counters, the limits every
/// replica enforces: the edit that would pass them throws
/// ``CRDTError/changeTooLarge(ops:width:)``.
public final class Transaction {
    unowned let document: Document
    private(set) var ops: [Op] = []
    let startOp: UInt64
    private var nextCounter: UInt64

    init(document: Document) {
        self.document = document
        self.startOp = document.maxCounter + 1
        self.nextCounter = startOp
    }

    /// Refuses, before anything is made, edits of `count` more ops using `width` more
    /// counters that would take this change past the limits every replica enforces.
    private func reserve(ops count: Int, width: UInt64) throws(CRDTError) {
        let ops = self.ops.count + count
        let (total, overflow) = (nextCounter - startOp).addingReportingOverflow(width)
        guard !overflow, ops <= Change.maximumOps, total <= Change.maximumWidth else {
            throw .changeTooLarge(ops: ops, width: overflow ? .max : total)
        }
        guard nextCounter <= Change.maximumCounter - width else {
            throw .invalidChange(ChangeID(replica: document.replica, seq: 0),
                                 reason: "the document's op counters are used up (\(Change.maximumCounter) reached)")
        }
    }

    private func make(_ op: Op) throws(CRDTError) {
        try reserve(ops: 1, width: op.width)
        let id = OpID(counter: nextCounter, replica: document.replica)
        do {
            try document.apply(op, id: id, change: nil)
        } catch {
            throw error.error ?? .invalidChange(ChangeID(replica: document.replica, seq: 0), reason: error.message)
        }
        ops.append(op)
        nextCounter += op.width
    }

    private var nextID: OpID { OpID(counter: nextCounter, replica: document.replica) }

    // MARK: Maps

    /// Sets `key` of map `object` to a scalar, superseding every value it shows now
    /// (including concurrent conflicting ones: this is how a conflict is resolved).
    public func put(_ object: ObjectID, _ key: String, _ value: ScalarValue) throws(CRDTError) {
        let pred = try document.mapRegister(object, key)?.predecessors ?? []
        try make(Op(object: object, action: .set(.map(key), .scalar(value), pred: pred)))
    }

    /// Sets `key` of map `object` to a new empty object and returns its id.
    @discardableResult
    public func putObject(_ object: ObjectID, _ key: String, _ kind: ObjectKind) throws(CRDTError) -> ObjectID {
        let pred = try document.mapRegister(object, key)?.predecessors ?? []
        let id = nextID
        try make(Op(object: object, action: .set(.map(key), .object(kind), pred: pred)))
        return ObjectID(id)
    }

    /// Removes `key` from map `object` (no-op if absent). Values written concurrently with
    /// this delete survive it.
    public func delete(_ object: ObjectID, _ key: String) throws(CRDTError) {
        guard let register = try document.mapRegister(object, key), !register.isEmpty else { return }
        try make(Op(object: object, action: .delete(.map(key), pred: register.predecessors)))
    }

    /// Adds `delta` to the counter shown at `key` of map `object`.
    public func increment(_ object: ObjectID, _ key: String, by delta: Int64) throws(CRDTError) {
        guard let winner = try document.mapRegister(object, key)?.winner, winner.isCounter else {
            throw .notACounter(object, .map(key))
        }
        try make(Op(object: object, action: .increment(.map(key), counter: winner.id, by: delta)))
    }

    // MARK: Lists

    /// Inserts a scalar at `index` (0...length) of list `object`.
    public func insert(_ object: ObjectID, at index: Int, _ value: ScalarValue) throws(CRDTError) {
        let origin = try document.origin(object, .list, index)
        try make(Op(object: object, action: .insert(after: origin, .scalar(value))))
    }

    /// Inserts a new empty object at `index` of list `object` and returns its id.
    @discardableResult
    public func insertObject(_ object: ObjectID, at index: Int, _ kind: ObjectKind) throws(CRDTError) -> ObjectID {
        let origin = try document.origin(object, .list, index)
        let id = nextID
        try make(Op(object: object, action: .insert(after: origin, .object(kind))))
        return ObjectID(id)
    }

    /// Replaces the element at `index` of list `object`.
    public func set(_ object: ObjectID, at index: Int, _ value: ScalarValue) throws(CRDTError) {
        let (element, register) = try document.listElement(object, index)
        try make(Op(object: object, action: .set(.element(element), .scalar(value), pred: register.predecessors)))
    }

    /// Removes the element at `index` of list `object`. A concurrent update of the element
    /// survives the removal.
    public func remove(_ object: ObjectID, at index: Int) throws(CRDTError) {
        let (element, register) = try document.listElement(object, index)
        try make(Op(object: object, action: .delete(.element(element), pred: register.predecessors)))
    }

    /// Adds `delta` to the counter at `index` of list `object`.
    public func increment(_ object: ObjectID, at index: Int, by delta: Int64) throws(CRDTError) {
        let (element, register) = try document.listElement(object, index)
        guard let winner = register.winner, winner.isCounter else { throw .notACounter(object, .element(element)) }
        try make(Op(object: object, action: .increment(.element(element), counter: winner.id, by: delta)))
    }

    // MARK: Text

    /// Deletes `deleteCount` scalars at `index` of text `object`, then inserts `text` there.
    ///
    /// - Throws: ``CRDTError/indexOutOfRange(_:index:length:)``, or
    ///   ``CRDTError/changeTooLarge(ops:width:)`` when the splice (one op per deleted run, one
    ///   for the insert) would take the change past ``Change/maximumOps`` or
    ///   ``Change/maximumWidth``; then nothing of it is made.
    /// - Complexity: O(log n) to find the position, plus O(k) in the deleted runs.
    public func splice(_ object: ObjectID, at index: Int, delete deleteCount: Int = 0, insert text: String = "") throws(CRDTError) {
        let sequence = try document.sequence(object, .text)
        let length = sequence.visibleCount
        guard index >= 0, index <= length, deleteCount >= 0, deleteCount <= length - index else {
            let (end, overflow) = index.addingReportingOverflow(max(deleteCount, 0))
            throw .indexOutOfRange(object, index: overflow ? .max : end, length: length)
        }
        let spans = document.visibleSpans(of: sequence, from: index, count: deleteCount)
        let scalars = Array(text.unicodeScalars)
        // The whole splice or none of it: its budget is checked before its first op.
        try reserve(ops: spans.count + (scalars.isEmpty ? 0 : 1), width: UInt64(spans.count + scalars.count))
        for span in spans {
            try make(Op(object: object, action: .deleteRun(start: span.start, count: UInt64(span.count))))
        }
        if !scalars.isEmpty {
            let origin = index == 0 ? nil : sequence.elementID(at: index - 1)
            try make(Op(object: object, action: .insertText(after: origin, scalars)))
        }
    }
}

extension Document {
    /// Makes local edits as one atomic change and returns it (nil when `body` made no edit).
    ///
    /// The change's metadata is stored and returned as given; the engine never reads it.
    /// If `body` throws, every edit it made is undone and the error is rethrown.
    ///
    /// - Complexity: the edits' own cost; a rollback replays the history, O(total ops).
    @discardableResult
    public func change(metadata: [UInt8] = [], _ body: (Transaction) throws -> Void) rethrows -> Change? {
        let transaction = Transaction(document: self)
        do {
            try body(transaction)
        } catch {
            if !transaction.ops.isEmpty { rebuild() }
            throw error
        }
        guard !transaction.ops.isEmpty else { return nil }
        let change = Change(replica: replica, seq: version[replica] + 1, startOp: transaction.startOp,
                            deps: othersVersion, metadata: metadata, ops: transaction.ops)
        commit(change)
        return change
    }
}
