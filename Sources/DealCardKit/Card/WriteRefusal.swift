
/// Why a received change was refused by the write rules. Names the change, the field and
/// the rule, so the author's device can show it and a support engineer can act on it.
public struct WriteRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    /// Why: `permission`, `invalid_value`, `bad_structure`, `forged_author`,
    /// `unknown_object`, or `too_large` for a budget.
    public var code: RefusalCode
    /// The field path involved, when there is one.
    public var path: String?
    /// The rule that was broken, in words.
    public var reason: String

    public init(code: RefusalCode, path: String?, reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public var description: String { path.map { "\($0): \(reason)" } ?? reason }
}
