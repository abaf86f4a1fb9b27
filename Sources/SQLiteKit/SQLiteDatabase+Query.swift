extension SQLiteDatabase {
    /// Runs one statement with bound arguments, through the statement cache.
    ///
    /// - Parameters:
    ///   - sql: exactly one SQL statement with `?` parameters.
    ///   - arguments: one value per parameter, in order.
    /// - Throws: ``SQLiteError`` (`.constraint`, `.busy`, `.full`, …); the SQL is in the error,
    ///   the arguments never are.
    /// - Precondition: `arguments.count` equals the number of parameters.
    public func execute(_ sql: String, arguments: [SQLiteValue]) throws {
        let statement = try cachedStatement(sql)
        defer { statement.finish() }
        try statement.bind(arguments)
        try statement.run()
    }

    /// Runs a query through the statement cache and maps every row with `row`.
    ///
    /// `row` receives the statement positioned on the current row; read columns with its
    /// accessors and do not keep the statement.
    ///
    /// ```swift
    /// let titles = try db.query("SELECT title FROM deal WHERE year > ?", [2020]) { $0.string(at: 0) }
    /// ```
    /// - Throws: ``SQLiteError`` from preparing or stepping, or whatever `row` throws.
    /// - Precondition: `arguments.count` equals the number of parameters.
    public func query<Row>(
        _ sql: String,
        _ arguments: [SQLiteValue] = [],
        row: (Statement) throws -> Row
    ) throws -> [Row] {
        let statement = try cachedStatement(sql)
        defer { statement.finish() }
        try statement.bind(arguments)
        var rows: [Row] = []
        while try statement.step() {
            rows.append(try row(statement))
        }
        return rows
    }

    /// Runs a query through the statement cache and hands each row to `body` until it
    /// returns false: for reading rows up to a budget without reading the rest.
    ///
    /// - Throws: ``SQLiteError`` from preparing or stepping, or whatever `body` throws.
    /// - Precondition: `arguments.count` equals the number of parameters.
    public func forEachRow(_ sql: String, _ arguments: [SQLiteValue] = [], _ body: (Statement) throws -> Bool) throws {
        let statement = try cachedStatement(sql)
        defer { statement.finish() }
        try statement.bind(arguments)
        while try statement.step() {
            guard try body(statement) else { return }
        }
    }

    /// The first column of the first row, `nil` when the query returns no row.
    ///
    /// A row whose first column is NULL gives `.null`, not `nil`.
    /// ```swift
    /// let count = try db.scalar("SELECT count(*) FROM deal")?.int64 ?? 0
    /// ```
    /// - Throws: ``SQLiteError`` from preparing or stepping.
    /// - Precondition: `arguments.count` equals the number of parameters.
    public func scalar(_ sql: String, _ arguments: [SQLiteValue] = []) throws -> SQLiteValue? {
        let statement = try cachedStatement(sql)
        defer { statement.finish() }
        try statement.bind(arguments)
        guard try statement.step(), statement.columnCount > 0 else { return nil }
        return statement.value(at: 0)
    }

    /// The cached statements, for resetting them before a rollback.
    func cachedStatementsForReset() -> [Statement] {
        Array(statementCacheValues)
    }
}

extension Statement {
    /// Resets and unbinds a cached statement after use, so it holds no read lock and no copy
    /// of the caller's bytes while it waits in the cache.
    func finish() {
        reset()
        clearBindings()
    }
}
