import CSQLite

/// One SQLite connection, with a cache of prepared statements.
///
/// Not `Sendable`: a connection has exactly one owner (an actor or a thread), so it is opened
/// with `SQLITE_OPEN_NOMUTEX` and never locks internally.
///
/// Opening checks that the file really is a readable database before anything writes to it: a
/// text file, random bytes or a corrupt file given by mistake throws `SQLiteError.notADatabase`
/// or `SQLiteError.corrupt` and is left byte-for-byte unchanged.
///
/// ```swift
/// let db = try SQLiteDatabase(path: storeURL.path)
/// try db.transaction { db in
///     try db.execute("INSERT INTO deal(title) VALUES (?)", arguments: ["Civic"])
/// }
/// ```
public final class SQLiteDatabase {
    /// The path the database was opened with (`:memory:` for an in-memory one).
    public let path: String
    /// The options the database was opened with.
    public let options: Options

    private var connection: OpaquePointer?
    private var statementCache: [String: Statement] = [:]
    var statementCacheValues: Dictionary<String, Statement>.Values { statementCache.values }
    private var storeLock: StoreLock?

    /// Opens (and by default creates) the database at `path`, then configures it.
    ///
    /// In order: takes the ``StoreLock`` when asked, opens with extended result codes, sets
    /// the busy timeout, reads the schema (which is where a foreign or damaged file is caught,
    /// before any write), then sets `journal_mode=WAL`, `synchronous=FULL`, `foreign_keys=ON`.
    ///
    /// - Throws: `SQLiteError.cantOpen` (missing file without `create`, missing or non-folder
    ///   parent, no permission), `SQLiteError.notADatabase`, `SQLiteError.corrupt`,
    ///   `SQLiteError.busy`, `SQLiteError.ioError`; `SQLiteStoreError.locked` when another
    ///   process holds the store lock.
    public init(path: String, options: Options = Options()) throws {
        self.path = path
        self.options = options
        let inMemory = path == ":memory:"
        if options.exclusiveStoreLock && !inMemory {
            storeLock = try StoreLock(forDatabaseAt: path)
        }

        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if options.readOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0)
        }
        var handle: OpaquePointer?
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let error = SQLiteError(code: code, connection: handle, sql: nil)
            sqlite3_close_v2(handle)
            throw SQLiteError(code: error.code, message: "\(error.message) (path: \(path))", sql: nil)
        }
        connection = handle
        sqlite3_extended_result_codes(handle, 1)
        sqlite3_busy_timeout(handle, options.busyTimeoutMilliseconds)

        do {
            // Read before any write: this is what detects a foreign or damaged file.
            _ = try scalar("SELECT count(*) FROM sqlite_schema")
            if options.walJournal && !options.readOnly && !inMemory {
                let mode = try scalar("PRAGMA journal_mode = WAL")?.string?.lowercased()
                guard mode == "wal" else {
                    throw SQLiteError(
                        code: SQLiteError.error,
                        message: "could not switch to WAL journal mode (still \(mode ?? "unknown")); "
                            + "the file system may not support shared memory",
                        sql: "PRAGMA journal_mode = WAL")
                }
            }
            try execute("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON")
        } catch let error as SQLiteError {
            close()
            throw SQLiteError(code: error.code, message: "\(error.message) (path: \(path))", sql: error.sql)
        }
    }

    deinit {
        close()
    }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool {
        connection == nil
    }

    /// Finalizes cached statements, closes the connection and releases the store lock.
    ///
    /// Safe to call twice. Statements still held by the caller keep the connection alive as a
    /// zombie until they are released (`sqlite3_close_v2`), so nothing dangles.
    public func close() {
        guard let handle = connection else { return }
        statementCache.removeAll()
        sqlite3_close_v2(handle)
        connection = nil
        storeLock?.release()
        storeLock = nil
    }

    /// The open connection; using a closed database is a programming error.
    var handle: OpaquePointer {
        guard let connection else { preconditionFailure("SQLiteDatabase used after close() (\(path))") }
        return connection
    }

    // MARK: Statements

    /// Prepares a statement that the caller owns; it is not cached.
    ///
    /// - Throws: ``SQLiteError`` when the SQL does not compile or holds more than one statement.
    public func makeStatement(_ sql: String) throws -> Statement {
        try Statement(connection: handle, sql: sql, persistent: false)
    }

    /// Returns the cached statement for `sql`, reset and with bindings cleared, preparing it on
    /// first use.
    ///
    /// When the cached statement is still running (a nested query with the same SQL), a fresh
    /// uncached statement is returned instead, so callers never see each other's rows.
    /// - Complexity: O(1) after the first call for a given SQL text.
    /// - Throws: ``SQLiteError`` when the SQL does not compile or holds more than one statement.
    public func cachedStatement(_ sql: String) throws -> Statement {
        if let statement = statementCache[sql] {
            if statement.isBusy {
                return try makeStatement(sql)
            }
            statement.reset()
            statement.clearBindings()
            return statement
        }
        let statement = try Statement(connection: handle, sql: sql, persistent: true)
        statementCache[sql] = statement
        return statement
    }

    /// The number of statements in the cache.
    public var cachedStatementCount: Int {
        statementCache.count
    }

    /// Empties the statement cache (statements held elsewhere stay valid).
    public func clearStatementCache() {
        statementCache.removeAll()
    }

    // MARK: Scripts

    /// Runs every statement of `sql` in order, discarding rows; for schema scripts and pragmas.
    ///
    /// Statements are prepared one at a time, so a later statement may depend on the schema
    /// created by an earlier one. Nothing is cached and nothing can be bound.
    /// - Throws: ``SQLiteError`` for the first failing statement, naming that statement's SQL;
    ///   the statements before it have run (wrap the call in ``transaction(_:_:)`` to undo them).
    public func execute(_ sql: String) throws {
        let connection = handle
        try sql.withCString { start in
            var next: UnsafePointer<CChar>? = start
            while let current = next, current.pointee != 0 {
                var statement: OpaquePointer?
                var tail: UnsafePointer<CChar>?
                let code = sqlite3_prepare_v2(connection, current, -1, &statement, &tail)
                guard code == SQLITE_OK else {
                    // The failing statement and whatever follows it, without the blanks before it.
                    let rest = String(cString: current).drop { $0.isWhitespace || $0 == ";" }
                    throw SQLiteError(code: code, connection: connection, sql: String(rest))
                }
                defer { sqlite3_finalize(statement) }
                next = tail
                guard let statement else { continue }  // only blanks or comments
                var step = sqlite3_step(statement)
                while step == SQLITE_ROW {
                    step = sqlite3_step(statement)
                }
                guard step == SQLITE_DONE else {
                    throw SQLiteError(code: step, connection: connection, sql: String(cString: sqlite3_sql(statement)))
                }
            }
        }
    }

    // MARK: Connection state

    /// The rowid of the last successful `INSERT` on this connection.
    public var lastInsertRowID: Int64 {
        sqlite3_last_insert_rowid(handle)
    }

    /// Rows changed by the last `INSERT`, `UPDATE` or `DELETE`.
    public var changes: Int {
        Int(sqlite3_changes64(handle))
    }

    /// Rows changed since the connection opened.
    public var totalChanges: Int {
        Int(sqlite3_total_changes64(handle))
    }

    /// Whether a transaction is open (the connection is not in autocommit mode).
    public var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }
}
