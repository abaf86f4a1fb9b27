import Foundation
import Testing
@testable import SQLiteKit
import TestSupport

@Suite("Store lock")
struct StoreLockTests {
    @Test("the lock file sits beside the database")
    func lockPath() {
        #expect(StoreLock.lockPath(forDatabaseAt: "/var/stores/north/store.sqlite") == "/var/stores/north/LOCK")
        #expect(StoreLock.lockPath(forDatabaseAt: "store.sqlite") == "LOCK")
        #expect(StoreLock.lockPath(forDatabaseAt: "/store.sqlite") == "/LOCK")
    }

    @Test("a second lock in the same process conflicts and names this pid; release frees it")
    func sameProcess() throws {
        try withTemporaryDirectory { directory in
            let database = directory.file("store.sqlite")
            let first = try StoreLock(forDatabaseAt: database)
            #expect(first.isHeld)
            do {
                _ = try StoreLock(forDatabaseAt: database)
                Issue.record("expected locked")
            } catch let SQLiteStoreError.locked(lockPath, holderPID) {
                #expect(lockPath == directory.file("LOCK"))
                #expect(holderPID == getpid())
            }
            first.release()
            #expect(!first.isHeld)
            let second = try StoreLock(forDatabaseAt: database)
            #expect(second.isHeld)
        }
    }

    @Test("deinit releases the lock")
    func deinitReleases() throws {
        try withTemporaryDirectory { directory in
            let lockPath = directory.file("LOCK")
            do {
                let held = try StoreLock(lockPath: lockPath)
                #expect(held.isHeld)
            }
            _ = try StoreLock(lockPath: lockPath)
        }
    }

    @Test("a lock held by another process gives a clear error naming its pid")
    func otherProcess() throws {
        try withTemporaryDirectory { directory in
            let lockPath = directory.file("LOCK")
            // fd 9 keeps the flock; exec keeps the pid, so $$ is the process we will kill.
            let holder = try ChildProcess("/bin/sh", ["-c", #"exec 9>>"$1"; flock -xn 9 || exit 3; printf '%d\n' $$ > "$1"; echo ready; exec sleep 30"#, "sh", lockPath])
            defer { holder.stop() }
            let ready = try holder.readLine()
            try #require(ready == "ready", "the helper shell could not take the lock: \(holder.standardError)")

            do {
                _ = try StoreLock(lockPath: lockPath)
                Issue.record("expected locked")
            } catch let error as SQLiteStoreError {
                guard case .locked(lockPath, holder.pid) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(error.description.contains("in use by another process (pid \(holder.pid)"))
            }

            holder.stop()
            // The kernel dropped the dead holder's lock: no stale lock to clean up.
            let taken = try StoreLock(lockPath: lockPath)
            #expect(taken.isHeld)
        }
    }

    @Test("a database opened with exclusiveStoreLock keeps others out until closed")
    func databaseHoldsLock() throws {
        try withTemporaryDirectory { directory in
            let path = directory.file("store.sqlite")
            let options = SQLiteDatabase.Options(exclusiveStoreLock: true)
            let owner = try SQLiteDatabase(path: path, options: options)
            #expect(throws: SQLiteStoreError.self) { _ = try SQLiteDatabase(path: path, options: options) }
            owner.close()
            let next = try SQLiteDatabase(path: path, options: options)
            #expect(!next.isClosed)
        }
    }

    @Test("a lock in a missing folder is lockUnavailable, not locked")
    func missingFolder() throws {
        try withTemporaryDirectory { directory in
            do {
                _ = try StoreLock(lockPath: directory.file("nope/LOCK"))
                Issue.record("expected lockUnavailable")
            } catch let SQLiteStoreError.lockUnavailable(_, code, _) {
                #expect(code == ENOENT)
            }
        }
    }
}
