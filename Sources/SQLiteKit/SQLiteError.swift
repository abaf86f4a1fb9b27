import CSQLite
import Foundation

/// An error reported by SQLite: the extended result code, SQLite's message and the SQL text.
///
/// Bound values are never included, so the error can be logged without leaking user data.
/// Match families of errors the way GRDB does:
///
/// ```swift
/// do {
///     try db.execute("INSERT INTO deal(id) VALUES (?)", arguments: [.integer(1)])
/// } catch SQLiteError.constraint {
///     // any SQLITE_CONSTRAINT_* error
/// } catch SQLiteError.busy {
///     // another connection holds the write lock
/// }
/// ```
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The (extended) result code.
    public let code: SQLiteResultCode
    /// SQLite's message (`sqlite3_errmsg`), or the generic text for the code when none exists.
    public let message: String
    /// The SQL being prepared or run, if any. Never contains bound values.
    public let sql: String?

    /// Creates an error; prefer letting ``SQLiteDatabase`` and ``Statement`` build them.
    public init(code: SQLiteResultCode, message: String? = nil, sql: String? = nil) {
        self.code = code
        self.message = message ?? code.explanation
        self.sql = sql
    }

    /// Builds an error from a result code and the connection's last message.
    ///
    /// The message is only read from the connection when it is about the same code, so a stale
    /// message from an earlier call is never attached to this error.
    init(code: Int32, connection: OpaquePointer?, sql: String?) {
        var message: String?
        if let connection, sqlite3_extended_errcode(connection) == code || sqlite3_errcode(connection) == code & 0xFF {
            message = String(cString: sqlite3_errmsg(connection))
        }
        self.init(code: SQLiteResultCode(code), message: message, sql: sql)
    }

    // MARK: Patterns (primary codes, match every extended code of the family)

    /// `SQLITE_ERROR`: generic error, usually bad SQL or a missing table.
    public static let error = SQLiteResultCode(SQLITE_ERROR)
    /// `SQLITE_BUSY`: another connection holds a lock that the busy timeout did not outwait.
    public static let busy = SQLiteResultCode(SQLITE_BUSY)
    /// `SQLITE_LOCKED`: a conflict inside this very connection (shared cache or open statement).
    public static let locked = SQLiteResultCode(SQLITE_LOCKED)
    /// `SQLITE_CONSTRAINT`: a UNIQUE, NOT NULL, CHECK, PRIMARY KEY or FOREIGN KEY violation.
    public static let constraint = SQLiteResultCode(SQLITE_CONSTRAINT)
    /// `SQLITE_CORRUPT`: the database file is malformed.
    public static let corrupt = SQLiteResultCode(SQLITE_CORRUPT)
    /// `SQLITE_NOTADB`: the file is not a SQLite database (or is encrypted).
    public static let notADatabase = SQLiteResultCode(SQLITE_NOTADB)
    /// `SQLITE_FULL`: the disk is full or `max_page_count` was reached.
    public static let full = SQLiteResultCode(SQLITE_FULL)
    /// `SQLITE_READONLY`: a write was attempted on a read-only database.
    public static let readOnly = SQLiteResultCode(SQLITE_READONLY)
    /// `SQLITE_CANTOPEN`: the file could not be opened or created.
    public static let cantOpen = SQLiteResultCode(SQLITE_CANTOPEN)
    /// `SQLITE_IOERR`: the operating system reported an I/O error.
    public static let ioError = SQLiteResultCode(SQLITE_IOERR)
    /// `SQLITE_MISUSE`: the library was used incorrectly (a bug in the caller).
    public static let misuse = SQLiteResultCode(SQLITE_MISUSE)
    /// `SQLITE_TOOBIG`: a string or blob exceeds SQLite's length limit.
    public static let tooBig = SQLiteResultCode(SQLITE_TOOBIG)

    // MARK: Patterns (extended codes, match only themselves)
    // The C macros are expressions Swift cannot import; the values are those of sqlite3.h.

    /// `SQLITE_CONSTRAINT_UNIQUE`: a UNIQUE index rejected a duplicate.
    public static let constraintUnique = SQLiteResultCode(SQLITE_CONSTRAINT | (8 << 8))
    /// `SQLITE_CONSTRAINT_PRIMARYKEY`: a duplicate primary key.
    public static let constraintPrimaryKey = SQLiteResultCode(SQLITE_CONSTRAINT | (6 << 8))
    /// `SQLITE_CONSTRAINT_FOREIGNKEY`: a row refers to a missing parent.
    public static let constraintForeignKey = SQLiteResultCode(SQLITE_CONSTRAINT | (3 << 8))
    /// `SQLITE_CONSTRAINT_NOTNULL`: NULL stored in a NOT NULL column.
    public static let constraintNotNull = SQLiteResultCode(SQLITE_CONSTRAINT | (5 << 8))
    /// `SQLITE_CONSTRAINT_CHECK`: a CHECK constraint failed.
    public static let constraintCheck = SQLiteResultCode(SQLITE_CONSTRAINT | (1 << 8))

    // MARK: Description

    /// What went wrong, where, and what to do about it.
    public var description: String {
        var text = "SQLite error \(code): \(message)"
        if let sql {
            text += " — while running `\(Self.abbreviated(sql))`"
        }
        if let hint {
            text += ". \(hint)"
        }
        return text
    }

    /// Advice for the person reading the log, chosen by the primary code.
    public var hint: String? {
        switch code.primary.rawValue {
        case SQLITE_BUSY, SQLITE_LOCKED:
            "Another connection or process holds a lock on the store; retry later or raise the busy timeout."
        case SQLITE_CONSTRAINT:
            "The data violates a constraint of the schema; check the values being written."
        case SQLITE_CORRUPT:
            "The database file is damaged; do not write to it, restore it from a backup or resync it from the server."
        case SQLITE_NOTADB:
            "The file is not a SQLite database (wrong path, or an encrypted or foreign file); it was left untouched. Check the path."
        case SQLITE_FULL:
            "The disk (or the configured max_page_count) is full; free space and retry. Committed data is intact."
        case SQLITE_READONLY:
            "The database is read-only; open it read-write and check the permissions of the file and its folder."
        case SQLITE_CANTOPEN:
            "The file could not be opened: check that the folder exists, is a folder, and is writable, and that the file exists when creation is off."
        case SQLITE_IOERR:
            "The operating system reported an I/O error; check the disk's health, free space and permissions."
        case SQLITE_MISUSE:
            "The SQLite API was used incorrectly; this is a bug in the calling code."
        case SQLITE_ERROR:
            "Check the SQL and the schema it expects."
        default:
            nil
        }
    }

    /// The SQL on one line, cut to a readable length.
    private static func abbreviated(_ sql: String) -> String {
        let oneLine = sql.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        return oneLine.count > 200 ? oneLine.prefix(200) + "…" : oneLine
    }
}
