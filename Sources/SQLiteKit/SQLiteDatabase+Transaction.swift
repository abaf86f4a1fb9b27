import CSQLite

extension SQLiteDatabase {
    /// Runs `body` inside a transaction: commits when it returns, rolls back when it throws.
    ///
    /// The first error wins: when `body` throws, that error is rethrown after the rollback (a
    /// failing rollback is not allowed to hide it); when `COMMIT` itself fails (`busy`,
    /// `full`, `ioError`), the transaction is rolled back and the commit's error is thrown.
    /// When SQLite has already rolled back on its own (some `full` and `ioError` cases), no
    /// second rollback is attempted.
    ///
    /// ```swift
    /// let id = try db.transaction { db in
    ///     try db.execute("INSERT INTO deal(title) VALUES (?)", arguments: ["Civic"])
    ///     return db.lastInsertRowID
    /// }
    /// ```
    ///
    /// - Parameter kind: `.immediate` by default, so a writer learns it is blocked at `BEGIN`
    ///   rather than halfway through.
    /// - Throws: the error thrown by `body`, or ``SQLiteError`` from `BEGIN` or `COMMIT`.
    /// - Precondition: no transaction is open on this connection (transactions do not nest).
    public func transaction<Result>(
        _ kind: TransactionKind = .immediate,
        _ body: (SQLiteDatabase) throws -> Result
    ) throws -> Result {
        precondition(!isInTransaction, "transactions do not nest; use a SAVEPOINT inside the body instead")
        try cachedStatement("BEGIN \(kind.rawValue) TRANSACTION").run()
        let result: Result
        do {
            result = try body(self)
        } catch {
            rollbackIfNeeded()
            throw error
        }
        do {
            try cachedStatement("COMMIT TRANSACTION").run()
        } catch {
            rollbackIfNeeded()
            throw error
        }
        return result
    }

    /// Runs `body` inside `SAVEPOINT name`: released when it returns, rolled back to (and
    /// released) when it throws, so one part of a transaction can fail alone.
    ///
    /// A savepoint outside a transaction would start one; this one must run inside a
    /// ``transaction(_:_:)``. When SQLite itself rolled the whole transaction back (a full disk
    /// or an I/O error may do that), the error is rethrown as it came and the caller's
    /// transaction fails with it: nothing of it is left to release.
    ///
    /// - Throws: the error thrown by `body`, or ``SQLiteError`` from the savepoint statements.
    /// - Precondition: a transaction is open; `name` is an SQL identifier.
    public func savepoint<Result>(_ name: String, _ body: (SQLiteDatabase) throws -> Result) throws -> Result {
        precondition(isInTransaction, "a savepoint belongs inside a transaction")
        precondition(!name.isEmpty && name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && $0.properties.isAlphabetic) || ("0"..."9").contains($0) },
                     "savepoint names are ASCII letters, digits and _")
        try execute("SAVEPOINT \(name)")
        let result: Result
        do {
            result = try body(self)
        } catch {
            if isInTransaction {
                for statement in cachedStatementsForReset() { statement.reset() }
                try execute("ROLLBACK TO SAVEPOINT \(name)")
                try execute("RELEASE SAVEPOINT \(name)")
            }
            throw error
        }
        try execute("RELEASE SAVEPOINT \(name)")
        return result
    }

    /// Rolls back the open transaction, if SQLite has not already done so.
    ///
    /// Statements still stepping would make `ROLLBACK` fail with `busy` in old SQLite versions,
    /// so cached statements are reset first. The rollback's own error is dropped on purpose: the
    /// caller is already propagating the error that caused it.
    private func rollbackIfNeeded() {
        guard isInTransaction else { return }
        for statement in cachedStatementsForReset() {
            statement.reset()
        }
        _ = try? cachedStatement("ROLLBACK TRANSACTION").run()
    }
}
