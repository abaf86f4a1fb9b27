#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory, exclusive, non-blocking lock that makes one process the owner of a store.
///
/// The lock is a `flock(2)` on a file named `LOCK` in the database's folder (one store per
/// folder). The holder writes its pid into the file so a second opener can say who holds it.
///
/// Properties the design relies on:
/// - `flock` locks belong to an open file description, so two `StoreLock`s on the same path
///   conflict even inside one process, just as two processes do.
/// - The kernel drops the lock when the holder dies, so a crash never leaves a stale lock; the
///   file itself stays (deleting it would race with a process that has just opened it).
/// - The descriptor is opened with `O_CLOEXEC`, so child processes do not inherit the lock.
public final class StoreLock {
    /// The lock file's path.
    public let lockPath: String
    private var descriptor: Int32

    /// The lock file for the database at `databasePath`: `LOCK` in the same folder.
    public static func lockPath(forDatabaseAt databasePath: String) -> String {
        guard let slash = databasePath.lastIndex(of: "/") else { return "LOCK" }
        let folder = databasePath[..<slash]
        return folder.isEmpty ? "/LOCK" : folder + "/LOCK"
    }

    /// Locks the store whose database is at `databasePath`.
    ///
    /// - Throws: as ``init(lockPath:)``.
    public convenience init(forDatabaseAt databasePath: String) throws {
        try self.init(lockPath: Self.lockPath(forDatabaseAt: databasePath))
    }

    /// Creates (if needed) and locks the file at `lockPath`, without waiting.
    ///
    /// - Throws: `SQLiteStoreError.locked` naming the holder's pid when the file is already
    ///   locked; `SQLiteStoreError.lockUnavailable` when it cannot be opened or locked.
    public init(lockPath: String) throws {
        self.lockPath = lockPath
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw SQLiteStoreError.lockUnavailable(lockPath: lockPath, errno: code, reason: Self.describe(code))
        }
        var result: Int32
        repeat {
            result = flock(descriptor, LOCK_EX | LOCK_NB)
        } while result != 0 && errno == EINTR
        guard result == 0 else {
            let code = errno
            let holder = code == EWOULDBLOCK ? Self.readPID(descriptor) : nil
            close(descriptor)
            if code == EWOULDBLOCK {
                throw SQLiteStoreError.locked(lockPath: lockPath, holderPID: holder)
            }
            throw SQLiteStoreError.lockUnavailable(lockPath: lockPath, errno: code, reason: Self.describe(code))
        }
        self.descriptor = descriptor
        Self.writePID(getpid(), to: descriptor)
    }

    deinit {
        release()
    }

    /// Whether this object still holds the lock.
    public var isHeld: Bool {
        descriptor >= 0
    }

    /// Releases the lock; safe to call more than once.
    ///
    /// The pid is erased first so that a reader never blames a process that has let go.
    public func release() {
        guard descriptor >= 0 else { return }
        _ = ftruncate(descriptor, 0)
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    // MARK: Pid file contents

    /// Replaces the file's contents with `pid` and a newline. Best effort: the lock is what
    /// matters, the pid is only for the error message.
    private static func writePID(_ pid: pid_t, to descriptor: Int32) {
        let text = Array("\(pid)\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    /// The pid at the start of the file, or nil when the holder has not written one yet (it
    /// is between `flock` and `pwrite`) or the content is not a pid.
    private static func readPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let digits = buffer[..<count].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard let pid = Int32(String(decoding: digits, as: UTF8.self)), pid > 0 else { return nil }
        return pid
    }

    private static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
