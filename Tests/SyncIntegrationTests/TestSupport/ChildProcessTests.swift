import Foundation
import Glibc
import Testing
import TestSupport

/// The child processes of the tests: output captured, first line read, timeouts, and a stop
/// that ends in SIGKILL when SIGTERM is not enough.
@Suite("Child processes")
struct ChildProcessTests {
    @Test func outputErrorsAndStatusAreCaptured() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "echo first; echo second; echo oops >&2; exit 3"])
        #expect(try child.readLine() == "first")
        let result = try #require(child.waitForExit())
        #expect(result.status == 3 && !result.killedBySignal && !result.succeeded)
        #expect(result.stdout == "first\nsecond\n", "the whole output, lines already read too")
        #expect(result.stderr == "oops\n")
        #expect(try child.readLine() == "second")
        #expect(try child.readLine() == nil)
    }

    @Test func environmentAndWorkingDirectoryAreTheGivenOnes() async throws {
        let directory = try TemporaryDirectory()
        let child = try ChildProcess("/bin/sh", ["-c", #"pwd -P; echo "$GREETING"; echo "${HOME:-none}""#],
                                     environment: ["GREETING": "hello"], workingDirectory: directory.path)
        let result = try await child.finish()
        let real = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path
        #expect(result.stdout == "\(real)\nhello\nnone\n")
    }

    @Test func stopSendsSIGTERMThenSIGKILL() throws {
        let polite = try ChildProcess("/bin/sleep", ["30"])
        let stopped = try #require(polite.stop())
        #expect(stopped.killedBySignal && stopped.status == SIGTERM)

        // A child that ignores SIGTERM is killed once the grace period is over.
        let stubborn = try ChildProcess("/bin/sh", ["-c", "trap '' TERM; echo ready; exec sleep 30"])
        #expect(try stubborn.readLine() == "ready")
        let killed = try #require(stubborn.stop(grace: .milliseconds(300)))
        #expect(killed.killedBySignal && killed.status == SIGKILL)
    }

    @Test func aChildThatRunsTooLongIsKilledAndReported() async throws {
        // Ten minutes: even on a machine so loaded that this task resumes late, the child is
        // still running when the timeout is noticed (with 30 s, a late resume saw it end).
        let child = try ChildProcess("/bin/sleep", ["600"])
        await #expect(throws: ChildProcess.Failure.self) { try await child.finish(timeout: .milliseconds(200)) }
        #expect(child.hasExited)
        let quiet = try ChildProcess("/bin/sleep", ["600"])
        #expect(throws: ChildProcess.Failure.self) { try quiet.readLine(timeout: .milliseconds(100)) }
        quiet.kill()
    }

    @Test func aMissingExecutableIsAnErrorNamingIt() {
        #expect(PackageExecutable.syncClient.overrideVariable == "SYNC_CLIENT_BINARY")
        do {
            _ = try PackageExecutable("no-such-tool").path()
            Issue.record("found an executable that was never built")
        } catch {
            #expect("\(error)".contains("the no-such-tool executable was not found"), "\(error)")
            #expect("\(error)".contains("NO_SUCH_TOOL_BINARY"), "\(error)")
        }
        #expect(throws: ChildProcess.Failure.self) { try ChildProcess("/nonexistent/tool", []) }
    }
}
