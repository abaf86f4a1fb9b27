#if canImport(Glibc)
import Foundation

/// The server's own pool of threads for handler tasks, a `TaskExecutor` (SE-0417).
///
/// Handlers run in `Task(executorPreference:)` on this pool rather than on Swift's
/// global cooperative pool, which has one thread per core and is shared with everything
/// else in the process: a handler blocked in SQLite, or test code blocked in a socket
/// read, must not stop other requests from being answered. Child tasks (`async let`,
/// task groups) and default actors called from a handler inherit the preference;
/// unstructured tasks (`Task {}`) do not, so start those with
/// `Task(executorPreference: server.handlerExecutor)`.
///
/// The threads start in ``start()`` and end in ``shutdown()``, each after finishing the
/// job it is running. Jobs arriving after shutdown (a handler that outlives the server)
/// are handed to the global concurrent executor so that no task is stranded.
final class HTTPHandlerExecutor: TaskExecutor, @unchecked Sendable {
    private enum State {
        case idle
        case running
        case stopped
    }

    let threadCount: Int
    let name: String
    // `@unchecked Sendable`: `jobs` and `state` are only touched under `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var nextJob = 0
    private var state = State.idle
    private var liveThreads = 0

    /// A pool of `threadCount` threads named `name-0`, `name-1`, ..., started by ``start()``.
    init(threadCount: Int, name: String) {
        precondition(threadCount > 0, "an executor needs at least one thread")
        self.threadCount = threadCount
        self.name = name
    }

    /// Threads started and not yet ended; for tests.
    var runningThreadCount: Int {
        condition.withLock { liveThreads }
    }

    /// Queues `job` for the next free thread.
    ///
    /// - Complexity: O(1) amortized.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let accepted = condition.withLock {
            guard state != .stopped else { return false }
            jobs.append(job)
            condition.signal()
            return true
        }
        if !accepted {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// Starts the threads; jobs queued before now run once they are up.
    func start() {
        condition.withLock {
            precondition(state == .idle, "HTTPHandlerExecutor.start() called twice")
            state = .running
            liveThreads = threadCount
        }
        for index in 0..<threadCount {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Tells the threads to end after their current job and sends queued and future jobs
    /// to the global concurrent executor. Returns without waiting for running jobs, which
    /// may block for as long as their handlers like. Safe to call twice, or before ``start()``.
    func shutdown() {
        let stranded = condition.withLock {
            state = .stopped
            condition.broadcast()
            let queued = jobs[nextJob...]
            jobs = []
            nextJob = 0
            return queued
        }
        for job in stranded {
            globalConcurrentExecutor.enqueue(ExecutorJob(job))
        }
    }

    /// One thread's loop: take the oldest job, run it, repeat until stopped.
    private func work() {
        let executor = asUnownedTaskExecutor()
        while let job = nextJobOrNil() {
            job.runSynchronously(on: executor)
        }
    }

    /// The oldest queued job, waiting for one; nil once the pool is stopped.
    private func nextJobOrNil() -> UnownedJob? {
        condition.withLock {
            while state != .stopped, nextJob == jobs.count {
                condition.wait()
            }
            guard state != .stopped else {
                liveThreads -= 1
                return nil
            }
            let job = jobs[nextJob]
            nextJob += 1
            // Compact once the consumed prefix dominates, keeping removal O(1) amortized.
            if nextJob == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                nextJob = 0
            } else if nextJob >= 64, nextJob * 2 >= jobs.count {
                jobs.removeSubrange(..<nextJob)
                nextJob = 0
            }
            return job
        }
    }
}
#endif
