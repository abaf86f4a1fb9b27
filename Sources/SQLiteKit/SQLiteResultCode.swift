import CSQLite

/// A SQLite result code, primary (`SQLITE_CONSTRAINT`) or extended (`SQLITE_CONSTRAINT_UNIQUE`).
///
/// Extended codes keep their primary code in the low 8 bits, so a primary pattern matches every
/// extended code of its family while an extended pattern matches only itself:
///
/// ```swift
/// switch error.code {
/// case SQLiteError.constraintUnique: ...   // only SQLITE_CONSTRAINT_UNIQUE
/// case SQLiteError.constraint: ...         // any other SQLITE_CONSTRAINT_*
/// default: ...
/// }
/// ```
public struct SQLiteResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as SQLite returns it (with extended result codes enabled).
    public let rawValue: Int32

    /// Wraps a code returned by a `sqlite3_*` function.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// Wraps a code returned by a `sqlite3_*` function.
    public init(_ rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The primary code: the low 8 bits of an extended code.
    public var primary: SQLiteResultCode {
        SQLiteResultCode(rawValue & 0xFF)
    }

    /// Whether this is an extended code (more precise than its primary family).
    public var isExtended: Bool {
        rawValue != primary.rawValue
    }

    /// The symbolic name of the primary code, e.g. `SQLITE_CONSTRAINT`.
    public var primaryName: String {
        switch primary.rawValue {
        case SQLITE_OK: "SQLITE_OK"
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_INTERNAL: "SQLITE_INTERNAL"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_ABORT: "SQLITE_ABORT"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_INTERRUPT: "SQLITE_INTERRUPT"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_NOTFOUND: "SQLITE_NOTFOUND"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: "SQLITE_PROTOCOL"
        case SQLITE_EMPTY: "SQLITE_EMPTY"
        case SQLITE_SCHEMA: "SQLITE_SCHEMA"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: "SQLITE_MISMATCH"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_NOLFS: "SQLITE_NOLFS"
        case SQLITE_AUTH: "SQLITE_AUTH"
        case SQLITE_FORMAT: "SQLITE_FORMAT"
        case SQLITE_RANGE: "SQLITE_RANGE"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        case SQLITE_NOTICE: "SQLITE_NOTICE"
        case SQLITE_WARNING: "SQLITE_WARNING"
        case SQLITE_ROW: "SQLITE_ROW"
        case SQLITE_DONE: "SQLITE_DONE"
        default: "SQLITE_\(primary.rawValue)"
        }
    }

    /// SQLite's own English text for the code (`sqlite3_errstr`), e.g. "constraint failed".
    public var explanation: String {
        String(cString: sqlite3_errstr(rawValue))
    }

    /// `SQLITE_CONSTRAINT (19)` or `SQLITE_CONSTRAINT (extended 2067)`.
    public var description: String {
        isExtended ? "\(primaryName) (extended \(rawValue))" : "\(primaryName) (\(rawValue))"
    }

    /// Matches a code against a pattern: a primary pattern matches its whole family, an extended
    /// pattern only itself.
    public static func ~= (pattern: SQLiteResultCode, code: SQLiteResultCode) -> Bool {
        pattern.isExtended ? pattern == code : pattern == code.primary
    }

    /// Matches any error against a code pattern, which is what makes
    /// `catch SQLiteError.constraint { ... }` work.
    ///
    /// Errors that are not ``SQLiteError`` never match.
    public static func ~= (pattern: SQLiteResultCode, error: any Error) -> Bool {
        guard let error = error as? SQLiteError else { return false }
        return pattern ~= error.code
    }
}
