/// Errors about the store as a whole, beyond a single SQLite call: its schema version and
/// its ownership by one process.
///
/// SQLite's own failures are ``SQLiteError``; these wrap or complement them.
public enum SQLiteStoreError: Error, CustomStringConvertible {
    /// The store's `user_version` is higher than the last migration this build knows:
    /// it was written by a newer version of the app, and this build must not touch it.
    case newerSchema(found: Int, known: Int)
    /// The store's `user_version` is negative, which no version of this app writes.
    case invalidSchemaVersion(Int)
    /// A migration step threw; its transaction was rolled back and the store is still at
    /// `version - 1`.
    case migrationFailed(version: Int, name: String, underlying: any Error)
    /// Another open file description (usually another process) holds the store's lock.
    /// `holderPID` is the pid the holder wrote into the lock file, if it could be read.
    case locked(lockPath: String, holderPID: Int32?)
    /// The lock file could not be opened or locked for a reason other than contention.
    case lockUnavailable(lockPath: String, errno: Int32, reason: String)

    /// What went wrong and what to do about it.
    public var description: String {
        switch self {
        case let .newerSchema(found, known):
            "store was written by a newer version (schema \(found), this build knows \(known)); "
                + "update the app, or move the store aside to start afresh"
        case let .invalidSchemaVersion(version):
            "store has an invalid schema version \(version) (PRAGMA user_version); "
                + "it was not written by this app: check the path"
        case let .migrationFailed(version, name, underlying):
            "migration \(version) \"\(name)\" failed and was rolled back (store stays at schema \(version - 1)): \(underlying)"
        case let .locked(lockPath, holderPID?):
            "store is in use by another process (pid \(holderPID), lock \(lockPath)); "
                + "quit that process or wait for it to finish"
        case let .locked(lockPath, nil):
            "store is in use by another process (pid unknown, lock \(lockPath)); "
                + "quit that process or wait for it to finish"
        case let .lockUnavailable(lockPath, errno, reason):
            "cannot lock the store (lock \(lockPath)): \(reason) (errno \(errno)); "
                + "check that the folder exists and is writable"
        }
    }
}
