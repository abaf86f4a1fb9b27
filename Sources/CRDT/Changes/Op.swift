/// Where in an object an op acts: a map key, or a list element named by its insert op.
public enum Key: Hashable, Sendable, CustomStringConvertible {
    case map(String)
    case element(OpID)

    public var description: String {
        switch self {
        case .map(let name): "\"\(name)\""
        case .element(let id): "elem \(id)"
        }
    }
}

/// A value an op writes: a scalar, or a new empty object of some kind.
public enum NewValue: Hashable, Sendable {
    case scalar(ScalarValue)
    case object(ObjectKind)
}

/// One operation on one object of a document.
///
/// An op's id is not stored in it: the ops of a change take consecutive counters from the
/// change's `startOp`, each op using ``width`` of them (a text insert of n scalars uses n,
/// one per scalar, so that every scalar has its own id).
public struct Op: Hashable, Sendable {
    /// What the op does.
    public enum Action: Hashable, Sendable {
        /// Writes a map key or an existing list element, superseding the values in `pred`.
        case set(Key, NewValue, pred: [OpID])
        /// Removes the values in `pred` from a map key or list element. Values written
        /// concurrently (not in `pred`) survive: add wins.
        case delete(Key, pred: [OpID])
        /// Adds `by` to the counter value written by op `counter` at `key`.
        case increment(Key, counter: OpID, by: Int64)
        /// Inserts one list element after element `after` (`nil`: at the head).
        case insert(after: OpID?, NewValue)
        /// Inserts a run of scalars into a text after element `after` (`nil`: at the head).
        case insertText(after: OpID?, [Unicode.Scalar])
        /// Deletes `count` text or list elements whose ids are `start`, `start+1`, … of one replica.
        case deleteRun(start: OpID, count: UInt64)
    }

    /// The object acted on.
    public var object: ObjectID
    /// What is done to it.
    public var action: Action

    public init(object: ObjectID, action: Action) {
        self.object = object
        self.action = action
    }

    /// How many op-id counters this op uses.
    @inlinable
    public var width: UInt64 {
        if case .insertText(_, let scalars) = action { return UInt64(scalars.count) }
        return 1
    }
}
