extension SQLiteDatabase {
    /// How ``SQLiteDatabase/init(path:options:)`` opens a store.
    ///
    /// The defaults suit the sync engine's own store: created when missing, read-write, WAL,
    /// `synchronous=FULL` (a commit survives power loss), foreign keys enforced, a 5 s busy timeout.
    public struct Options: Sendable, Hashable {
        /// Create the file when it does not exist. Ignored when ``readOnly`` is set, since a
        /// read-only open never creates anything.
        public var create: Bool
        /// Open without write access; any write throws `SQLiteError.readOnly`.
        public var readOnly: Bool
        /// How long a statement waits for another connection's lock before `SQLiteError.busy`.
        public var busyTimeout: Duration
        /// Switch the file to write-ahead logging (skipped for read-only and in-memory databases).
        public var walJournal: Bool
        /// Take the store's advisory ``StoreLock`` before opening, so a second process gets
        /// `SQLiteStoreError.locked` instead of sharing the file. Ignored for `:memory:`.
        public var exclusiveStoreLock: Bool

        /// Options with the defaults listed on the type.
        public init(
            create: Bool = true,
            readOnly: Bool = false,
            busyTimeout: Duration = .seconds(5),
            walJournal: Bool = true,
            exclusiveStoreLock: Bool = false
        ) {
            self.create = create
            self.readOnly = readOnly
            self.busyTimeout = busyTimeout
            self.walJournal = walJournal
            self.exclusiveStoreLock = exclusiveStoreLock
        }

        /// Read an existing store without creating or changing it.
        public static var readOnly: Options {
            Options(create: false, readOnly: true)
        }

        /// The busy timeout in whole milliseconds, clamped to what `sqlite3_busy_timeout` takes.
        var busyTimeoutMilliseconds: Int32 {
            let (seconds, attoseconds) = busyTimeout.components
            let milliseconds = seconds * 1_000 + attoseconds / 1_000_000_000_000_000
            return Int32(clamping: max(0, milliseconds))
        }
    }

    /// How a transaction takes its locks.
    public enum TransactionKind: String, Sendable {
        /// Takes locks on first read or write; a later write can fail with `busy`.
        case deferred = "DEFERRED"
        /// Takes the write lock at `BEGIN`, so a busy store fails early and whole.
        case immediate = "IMMEDIATE"
        /// As immediate; in WAL mode the same as immediate.
        case exclusive = "EXCLUSIVE"
    }
}
