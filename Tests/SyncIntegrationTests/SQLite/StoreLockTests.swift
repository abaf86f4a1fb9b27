import Foundation
import Testing
@testable import SQLiteKit

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
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/bin/sh")
            // fd 9 keeps the flock; exec keeps the pid, so $$ is the process we will kill.
            holder.arguments = ["-c", #"exec 9>>"$1"; flock -xn 9 || exit 3; printf '%d\n' $$ > "$1"; echo ready; exec sleep 30"#, "sh", lockPath]
            let output = Pipe()
            holder.standardOutput = output
            try holder.run()
            defer {
                if holder.isRunning {
                    holder.terminate()
                }
                holder.waitUntilExit()
            }
            let ready = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            try #require(ready == "ready\n", "the helper shell could not take the lock")

            do {
                _ = try StoreLock(lockPath: lockPath)
                Issue.record("expected locked")
            } catch let error as SQLiteStoreError {
                guard case .locked(lockPath, holder.processIdentifier) = error else {
                    Issue.record("unexpected \(error)")
                    return
                }
                #expect(error.description.contains("in use by another process (pid \(holder.processIdentifier)"))
            }

            holder.terminate()
            holder.waitUntilExit()
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
