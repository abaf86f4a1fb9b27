/// The stable id of an object (map, list or text) in a document.
///
/// Every object but the root is named by the id of the op that created it, so two
/// replicas that create objects concurrently never collide. The root map has the
/// reserved id `0@0000000000000000`.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The creating op's id; counter 0 and replica 0 for the root.
    public let op: OpID

    public init(_ op: OpID) {
        self.op = op
    }

    /// The document's root map.
    public static let root = ObjectID(OpID(counter: 0, replica: ReplicaID(0)))

    /// Whether this is the root map.
    public var isRoot: Bool { op.counter == 0 }

    public var description: String { isRoot ? "root" : op.description }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.op < rhs.op }
}

/// The kind of a container object.
public enum ObjectKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// String keys to values; each key a multi-value register.
    case map = 0
    /// An ordered list of values; each element a multi-value register.
    case list = 1
    /// An ordered sequence of Unicode scalars, edited by splicing.
    case text = 2

    public var description: String {
        switch self {
        case .map: "map"
        case .list: "list"
        case .text: "text"
        }
    }
}
