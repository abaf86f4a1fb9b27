import Foundation
import Testing
@testable import SyncServer

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

    @Test func taskRunsWithThePreferenceAndSurvivesShutdown() {
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
        #expect(suspended.wait(timeout: .now() + 10) == .success)
        executor.shutdown()
        opener.finish()
        #expect(finished.wait(timeout: .now() + 10) == .success)
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
