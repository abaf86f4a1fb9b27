import Foundation
import Testing
@testable import HTTP1

@Suite struct HTTPHandlerExecutorTests {
    @Test func threadsStartAndEndWithThePool() {
        let executor = HTTPHandlerExecutor(threadCount: 3, name: "test-handler")
        #expect(executor.runningThreadCount == 0)
        executor.start()
        #expect(executor.runningThreadCount == 3)
        executor.shutdown()
        #expect(HTTPServerTests.eventually { executor.runningThreadCount == 0 })
        executor.shutdown()
    }

    /// Waits for `semaphore` on a dispatch thread, so that the wait never blocks a thread of
    /// Swift's cooperative pool (which has one thread per core and is shared with the tests
    /// running beside this one, and with the task this test waits for).
    private static func wait(_ semaphore: DispatchSemaphore, seconds: Int) async -> DispatchTimeoutResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: semaphore.wait(timeout: .now() + .seconds(seconds))) }
        }
    }

    @Test func taskRunsWithThePreferenceAndSurvivesShutdown() async {
        let executor = HTTPHandlerExecutor(threadCount: 1, name: "test-handler")
        executor.start()
        let suspended = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let preferred = HTTPLocked(false)
        let (gate, opener) = AsyncStream<Void>.makeStream()
        Task(executorPreference: executor) {
            preferred.withLock { $0 = Self.prefers(executor) }
            suspended.signal()
            for await _ in gate {}
            // Resumed after shutdown: forwarded to the global executor, not stranded.
            finished.signal()
        }
        #expect(await Self.wait(suspended, seconds: 10) == .success)
        executor.shutdown()
        opener.finish()
        #expect(await Self.wait(finished, seconds: 10) == .success)
        #expect(preferred.withLock { $0 })
    }

    @Test func serverRejectsAnOutOfRangeThreadCount() {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.handlerThreadCount = 0
        #expect(throws: HTTPServerError.self) {
            try HTTPServer(configuration: configuration) { _ in .text("") }
        }
    }

    private static func prefers(_ executor: HTTPHandlerExecutor) -> Bool {
        withUnsafeCurrentTask { task in
            task?.unownedTaskExecutor == executor.asUnownedTaskExecutor()
        }
    }
}
