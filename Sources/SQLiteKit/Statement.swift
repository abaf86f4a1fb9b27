import CSQLite

/// A prepared SQLite statement, finalized when the object goes away.
///
/// Parameters are bound by 1-based index (SQLite's convention); columns are read by 0-based
/// index. A statement belongs to the ``SQLiteDatabase`` that prepared it and shares its single
/// owner: it is not `Sendable`.
///
/// ```swift
/// let statement = try db.cachedStatement("SELECT id, title FROM deal WHERE id > ?")
/// try statement.bind(10, at: 1)
/// while try statement.step() {
///     print(statement.int64(at: 0), statement.string(at: 1))
/// }
/// ```
public final class Statement {
    /// The SQL the statement was prepared from.
    public let sql: String
    let handle: OpaquePointer
    /// The connection, used for error messages only. Kept alive by `sqlite3_close_v2`, which
    /// defers closing until every statement is finalized.
    private let connection: OpaquePointer

    /// Prepares one SQL statement.
    ///
    /// - Parameter persistent: a hint that the statement will be reused many times (cached).
    /// - Throws: ``SQLiteError`` when the SQL does not compile; `SQLiteError.misuse` when it
    ///   holds more than one statement or none (use ``SQLiteDatabase/execute(_:)`` for scripts).
    init(connection: OpaquePointer, sql: String, persistent: Bool) throws {
        var statement: OpaquePointer?
        var tailIsBlank = true
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sql.withCString { start -> Int32 in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v3(connection, start, -1, flags, &statement, &tail)
            if code == SQLITE_OK, let tail {
                tailIsBlank = Self.isBlankOrComment(tail, connection: connection)
            }
            return code
        }
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: connection, sql: sql)
        }
        guard let statement else {
            throw SQLiteError(code: SQLiteResultCode(SQLITE_MISUSE), message: "no SQL statement to prepare", sql: sql)
        }
        guard tailIsBlank else {
            sqlite3_finalize(statement)
            throw SQLiteError(
                code: SQLiteResultCode(SQLITE_MISUSE),
                message: "more than one SQL statement; use execute(_:) to run a script", sql: sql)
        }
        self.sql = sql
        self.handle = statement
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// The number of `?` parameters.
    public var parameterCount: Int {
        Int(sqlite3_bind_parameter_count(handle))
    }

    /// The number of result columns (0 for statements that return no rows).
    public var columnCount: Int {
        Int(sqlite3_column_count(handle))
    }

    /// Whether the statement has been stepped and not yet run to completion or reset.
    public var isBusy: Bool {
        sqlite3_stmt_busy(handle) != 0
    }

    /// Whether the statement leaves the database unchanged.
    public var isReadOnly: Bool {
        sqlite3_stmt_readonly(handle) != 0
    }

    // MARK: Binding

    /// Binds a value to the 1-based parameter `index`.
    ///
    /// Empty text and empty blobs bind as zero-length values, never as NULL.
    /// - Throws: `SQLiteError.tooBig` for values beyond SQLite's length limit.
    /// - Precondition: `index` is in `1...parameterCount`.
    public func bind(_ value: SQLiteValue, at index: Int) throws {
        precondition(index >= 1 && index <= parameterCount, "parameter index \(index) out of 1...\(parameterCount) in `\(sql)`")
        let position = Int32(index)
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, position)
        case .integer(let integer):
            code = sqlite3_bind_int64(handle, position, integer)
        case .real(let real):
            code = sqlite3_bind_double(handle, position, real)
        case .text(var text):
            code = text.withUTF8 { utf8 -> Int32 in
                // A nil pointer would bind NULL; an empty string must stay an empty string.
                guard let base = utf8.baseAddress, !utf8.isEmpty else {
                    return sqlite3_bind_text(handle, position, "", 0, csqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { chars in
                    sqlite3_bind_text64(handle, position, chars, sqlite3_uint64(utf8.count),
                                        csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            code = bytes.withUnsafeBytes { raw -> Int32 in
                // A nil pointer would bind NULL; an empty blob must stay an empty blob.
                guard let base = raw.baseAddress, !raw.isEmpty else {
                    return sqlite3_bind_zeroblob(handle, position, 0)
                }
                return sqlite3_bind_blob64(handle, position, base, sqlite3_uint64(raw.count), csqlite_transient())
            }
        }
        try check(code)
    }

    /// Binds `values` to parameters 1...n in order.
    ///
    /// - Throws: as ``bind(_:at:)``.
    /// - Precondition: `values.count == parameterCount`.
    public func bind(_ values: [SQLiteValue]) throws {
        precondition(values.count == parameterCount,
                     "\(values.count) arguments for \(parameterCount) parameters in `\(sql)`")
        for (offset, value) in values.enumerated() {
            try bind(value, at: offset + 1)
        }
    }

    /// Binds an integer. - Throws: as ``bind(_:at:)``.
    public func bind(_ value: Int64, at index: Int) throws { try bind(.integer(value), at: index) }
    /// Binds an integer. - Throws: as ``bind(_:at:)``.
    public func bind(_ value: Int, at index: Int) throws { try bind(.integer(Int64(value)), at: index) }
    /// Binds a Boolean as 0 or 1. - Throws: as ``bind(_:at:)``.
    public func bind(_ value: Bool, at index: Int) throws { try bind(.integer(value ? 1 : 0), at: index) }
    /// Binds a double. - Throws: as ``bind(_:at:)``.
    public func bind(_ value: Double, at index: Int) throws { try bind(.real(value), at: index) }
    /// Binds text. - Throws: as ``bind(_:at:)``.
    public func bind(_ value: String, at index: Int) throws { try bind(.text(value), at: index) }
    /// Binds a blob. - Throws: as ``bind(_:at:)``.
    public func bind(_ value: [UInt8], at index: Int) throws { try bind(.blob(value), at: index) }
    /// Binds SQL NULL. - Throws: as ``bind(_:at:)``.
    public func bindNull(at index: Int) throws { try bind(.null, at: index) }

    // MARK: Running

    /// Runs the statement to the next row.
    ///
    /// - Returns: `true` when a row is available to the column accessors, `false` when done.
    /// - Throws: ``SQLiteError`` for every other result (`.constraint`, `.busy`, `.full`, …).
    ///   The statement is reset after an error so it releases its locks and can run again.
    @discardableResult
    public func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            return false
        case let code:
            let error = SQLiteError(code: code, connection: connection, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Steps until done, ignoring any rows.
    ///
    /// - Throws: as ``step()``.
    public func run() throws {
        while try step() {}
    }

    /// Rewinds the statement so it can run again; bindings are kept.
    public func reset() {
        // The code repeats the last step's error, which step() has already thrown.
        sqlite3_reset(handle)
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns (valid after step() returned true)

    /// Whether column `index` of the current row is NULL.
    public func isNull(at index: Int) -> Bool {
        sqlite3_column_type(handle, column(index)) == SQLITE_NULL
    }

    /// The name SQLite gives column `index` (its `AS` alias when there is one).
    public func columnName(at index: Int) -> String {
        guard let name = sqlite3_column_name(handle, column(index)) else { return "" }
        return String(cString: name)
    }

    /// Column `index` as an integer, with SQLite's conversions (NULL reads as 0).
    public func int64(at index: Int) -> Int64 {
        sqlite3_column_int64(handle, column(index))
    }

    /// Column `index` as a double, with SQLite's conversions (NULL reads as 0.0).
    public func double(at index: Int) -> Double {
        sqlite3_column_double(handle, column(index))
    }

    /// Column `index` as text, with SQLite's conversions (NULL reads as "").
    ///
    /// Invalid UTF-8 from the file is repaired with U+FFFD rather than trapping.
    public func string(at index: Int) -> String {
        let position = column(index)
        guard let text = sqlite3_column_text(handle, position) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, position))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes, copied once into the array (NULL reads as []).
    public func blob(at index: Int) -> [UInt8] {
        withUnsafeBlob(at: index) { [UInt8]($0) }
    }

    /// Lends column `index`'s bytes without copying them.
    ///
    /// The buffer is valid only inside `body` and only until the statement steps or resets.
    /// - Throws: whatever `body` throws.
    public func withUnsafeBlob<Result>(
        at index: Int, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        let position = column(index)
        let start = sqlite3_column_blob(handle, position)
        let count = Int(sqlite3_column_bytes(handle, position))
        return try body(UnsafeRawBufferPointer(start: count > 0 ? start : nil, count: count))
    }

    /// Column `index` as the value of its storage class.
    public func value(at index: Int) -> SQLiteValue {
        switch sqlite3_column_type(handle, column(index)) {
        case SQLITE_INTEGER: .integer(int64(at: index))
        case SQLITE_FLOAT: .real(double(at: index))
        case SQLITE_TEXT: .text(string(at: index))
        case SQLITE_BLOB: .blob(blob(at: index))
        default: .null
        }
    }

    /// Every column of the current row.
    public func row() -> [SQLiteValue] {
        (0..<columnCount).map(value(at:))
    }

    // MARK: Helpers

    private func column(_ index: Int) -> Int32 {
        precondition(index >= 0 && index < columnCount, "column \(index) out of 0..<\(columnCount) in `\(sql)`")
        return Int32(index)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            throw SQLiteError(code: code, connection: connection, sql: sql)
        }
    }

    /// Whether what follows the first statement holds no further statement (only blanks,
    /// semicolons or comments): preparing it yields no statement and no error.
    private static func isBlankOrComment(_ tail: UnsafePointer<CChar>, connection: OpaquePointer) -> Bool {
        var rest = tail
        while rest.pointee != 0 {
            var next: OpaquePointer?
            var after: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v2(connection, rest, -1, &next, &after)
            sqlite3_finalize(next)
            guard code == SQLITE_OK, next == nil, let after, after != rest else { return false }
            rest = after
        }
        return true
    }
}
