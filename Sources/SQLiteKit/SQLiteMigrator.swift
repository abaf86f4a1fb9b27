/// Brings a store's schema up to date with ordered, named steps keyed by `PRAGMA user_version`.
///
/// Step *n* (1-based, in registration order) takes the store from schema `n - 1` to `n`. Each
/// step runs in its own immediate transaction together with the `user_version` bump, so a
/// crash or a throwing step leaves the store at a whole version, never between two.
///
/// Steps are append-only: once a build has shipped, never edit or reorder its steps; add new
/// ones at the end.
///
/// ```swift
/// var migrator = SQLiteMigrator()
/// migrator.registerStep("create deal") { db in
///     try db.execute("CREATE TABLE deal(id INTEGER PRIMARY KEY, title TEXT NOT NULL)")
/// }
/// migrator.registerStep("add deal.year") { db in
///     try db.execute("ALTER TABLE deal ADD COLUMN year INTEGER")
/// }
/// try migrator.migrate(db)
/// ```
public struct SQLiteMigrator: Sendable {
    /// One schema step.
    public struct Step: Sendable {
        /// The schema version the store has after this step.
        public let version: Int
        /// A short human name, shown in errors.
        public let name: String
        let apply: @Sendable (SQLiteDatabase) throws -> Void
    }

    /// The registered steps, in order; `steps[i].version == i + 1`.
    public private(set) var steps: [Step] = []

    /// An empty migrator (schema version 0).
    public init() {}

    /// The schema version this build knows: the number of registered steps.
    public var latestVersion: Int {
        steps.count
    }

    /// Appends a step; its version is the number of steps registered so far plus one.
    ///
    /// - Precondition: `name` is not empty and not already registered.
    public mutating func registerStep(_ name: String, _ apply: @escaping @Sendable (SQLiteDatabase) throws -> Void) {
        precondition(!name.isEmpty, "a migration step needs a name")
        precondition(!steps.contains { $0.name == name }, "migration step \"\(name)\" registered twice")
        steps.append(Step(version: steps.count + 1, name: name, apply: apply))
    }

    /// The store's schema version (`PRAGMA user_version`).
    ///
    /// - Throws: ``SQLiteError`` when it cannot be read.
    public static func schemaVersion(of db: SQLiteDatabase) throws -> Int {
        Int(try db.scalar("PRAGMA user_version")?.int64 ?? 0)
    }

    /// Runs every step the store has not applied yet, in order.
    ///
    /// - Returns: the names of the steps applied by this call (empty when up to date).
    /// - Throws: `SQLiteStoreError.newerSchema` when the store is ahead of this build (nothing
    ///   is changed); `SQLiteStoreError.invalidSchemaVersion` for a negative version;
    ///   `SQLiteStoreError.migrationFailed` wrapping the error of the step that failed (earlier
    ///   steps stay applied); ``SQLiteError`` from `BEGIN`/`COMMIT` (e.g. `.busy`, `.readOnly`).
    @discardableResult
    public func migrate(_ db: SQLiteDatabase) throws -> [String] {
        try migrate(db, upTo: latestVersion)
    }

    /// Runs the pending steps up to and including schema `target`.
    ///
    /// Useful in tests to build a store "written by the previous version".
    /// - Throws: as ``migrate(_:)``.
    /// - Precondition: `0 <= target <= latestVersion`.
    @discardableResult
    public func migrate(_ db: SQLiteDatabase, upTo target: Int) throws -> [String] {
        precondition(target >= 0 && target <= latestVersion, "no migration step \(target)")
        try checkVersion(try Self.schemaVersion(of: db))
        var applied: [String] = []
        for step in steps.prefix(target) {
            let didApply = try db.transaction(.immediate) { db -> Bool in
                // Re-read inside the write lock: another connection may have migrated meanwhile.
                let current = try Self.schemaVersion(of: db)
                try checkVersion(current)
                guard current == step.version - 1 else { return false }
                do {
                    try step.apply(db)
                } catch {
                    throw SQLiteStoreError.migrationFailed(version: step.version, name: step.name, underlying: error)
                }
                // PRAGMA values cannot be bound; the version is an integer we produced.
                try db.execute("PRAGMA user_version = \(step.version)")
                return true
            }
            if didApply {
                applied.append(step.name)
            }
        }
        return applied
    }

    /// Refuses a store this build cannot understand.
    private func checkVersion(_ version: Int) throws {
        if version < 0 {
            throw SQLiteStoreError.invalidSchemaVersion(version)
        }
        if version > latestVersion {
            throw SQLiteStoreError.newerSchema(found: version, known: latestVersion)
        }
    }
}
