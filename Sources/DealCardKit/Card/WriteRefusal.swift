
/// Why a received change was refused by the write rules. Names the change, the field and
/// the rule, so the author's device can show it and a support engineer can act on it.
public struct WriteRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// Stable machine-readable code: `permission`, `invalid_value`, `bad_structure`,
    /// `forged_author`, `unknown_object`.
    public var code: String
    /// The field path involved, when there is one.
    public var path: String?
    /// The rule that was broken, in words.
    public var reason: String

    public init(code: String, path: String?, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String { path.map { "\($0): \(reason)" } ?? reason }
}
