#if PostgreSQL
/// What went wrong talking to PostgreSQL: the server's own message and, for a statement it
/// refused, its SQLSTATE code (PostgreSQL's documentation, appendix "Error Codes"), so a
/// caller can tell a unique violation from a lost connection without reading the text.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The connection could not be made, or was lost (the server went away).
        case connection
        /// The server refused the statement (`sqlState` says why).
        case statement
        /// The caller asked for something this wrapper refuses before sending it (too many
        /// parameters, a NUL byte in text, a closed connection).
        case misuse
        /// A row's value was not what the caller read it as.
        case decoding
    }

    public var kind: Kind
    /// The server's (or libpq's) message, or this wrapper's.
    public var message: String
    /// The five-character SQLSTATE of a refused statement (`23505`, `40001`, …).
    public var sqlState: String?
    /// The statement it was about, for the message.
    public var statement: String?

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, statement: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.statement = statement
    }

    /// A unique or primary-key constraint refused the row (`23505`).
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// A serializable or repeatable-read transaction lost a conflict (`40001`), or a deadlock
    /// was broken by aborting it (`40P01`): retrying the whole transaction is the answer.
    public var isRetryableConflict: Bool { sqlState == "40001" || sqlState == "40P01" }

    public var description: String {
        var text = "PostgreSQL: \(message)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let statement { text += " in: \(statement.prefix(200))" }
        return text
    }
}
#endif
