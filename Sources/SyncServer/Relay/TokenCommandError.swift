import DealCardKit

/// A value given to a `sync-server token` command that cannot be used; the command line
/// reports it as a usage error (exit 64).
public enum TokenCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `--role` is not one of ``DealCardKit/Role``'s names.
    case invalidRole(String)
    /// `--expires` is not a positive whole number followed by d, h or m.
    case invalidLifetime(String)
    /// A required value is empty or holds only spaces.
    case emptyValue(option: String)

    public var description: String {
        switch self {
        case .invalidRole(let role):
            "invalid value '\(role)' for '--role <role>'; expected one of: "
                + Role.allCases.map(\.rawValue).joined(separator: ", ")
        case .invalidLifetime(let text):
            "invalid value '\(text)' for '--expires <duration>'; expected a whole number followed by "
                + "d, h or m, such as 30d, 12h or 45m (at most 3660d)"
        case .emptyValue(let option):
            "the value of '\(option)' must not be empty"
        }
    }
}
