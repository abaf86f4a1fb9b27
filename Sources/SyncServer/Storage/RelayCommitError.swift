/// Why one push of a group commit was not stored (its neighbours may have been): the
/// storage's refusal when it is one, and the error's words either way.
public struct RelayCommitError: Error, Sendable, CustomStringConvertible {
    /// The storage's own refusal (a conflicting change or binding, an unknown deal), if it was one.
    public let storageError: RelayStorageError?
    public let description: String

    public init(_ error: any Error) {
        storageError = error as? RelayStorageError
        description = "\(error)"
    }
}
