/// A leaf value stored in a map key or list element.
public enum ScalarValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    /// A counter's starting value; concurrent increments are added to it.
    case counter(Int64)
    /// Milliseconds since 1970-01-01T00:00:00Z.
    case timestamp(Int64)
}

/// What a map key or list element holds: a scalar, or a nested object.
public enum Value: Hashable, Sendable {
    case scalar(ScalarValue)
    case object(ObjectID, ObjectKind)

    /// The scalar, if this is one.
    public var scalar: ScalarValue? {
        if case .scalar(let value) = self { return value }
        return nil
    }

    /// The object id, if this is a nested object.
    public var objectID: ObjectID? {
        if case .object(let id, _) = self { return id }
        return nil
    }
}

extension ScalarValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
