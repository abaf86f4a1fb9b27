import Testing
import CLIKit
import Synchronization

/// Running a tree end to end: what is printed where, and the exit codes.
@Suite("CLIKit execution")
struct CLIExecutionTests {
    /// Collects what a run printed.
    final class Capture: Sendable {
        let output = Mutex("")
        let errors = Mutex("")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the relay refused the change" }
    }

    static func tool(_ behaviour: @escaping @Sendable (ParsedCommand) async throws -> Void) -> Command {
        Command(
            name: "tool", abstract: "A tool.", version: "tool 1.2.3",
            options: [.option("port", help: "The port.", default: "8080")],
            run: behaviour)
    }

    func execute(_ root: Command, _ arguments: [String]) async -> (Int32, String, String) {
        let capture = Capture()
        let code = await CommandLineTool.execute(
            root, arguments: arguments, environment: [:],
            output: { text in capture.output.withLock { $0 += text } },
            errorOutput: { text in capture.errors.withLock { $0 += text } })
        return (code, capture.output.withLock { $0 }, capture.errors.withLock { $0 })
    }

    @Test func runsTheCommand() async {
        let seen = Mutex<String?>(nil)
        let result = await execute(Self.tool { parsed in seen.withLock { $0 = parsed.option("port") } }, ["--port", "9000"])
        #expect(result == (0, "", ""))
        #expect(seen.withLock { $0 } == "9000")
    }

    @Test func helpAndVersionGoToStandardOutput() async {
        let help = await execute(Self.tool { _ in }, ["-h"])
        #expect(help.0 == 0 && help.1.hasPrefix("OVERVIEW: A tool.\n") && help.2.isEmpty)
        #expect(await execute(Self.tool { _ in }, ["--version"]) == (0, "tool 1.2.3\n", ""))
    }

    @Test func usageErrorsGoToStandardErrorWithCode64() async {
        let result = await execute(Self.tool { _ in }, ["--prot", "1"])
        #expect(result == (64, "", """
            error: unknown option '--prot'. Did you mean '--port'?
            Usage: tool [--port <port>]
              See 'tool --help' for more information.

            """))
    }

    @Test func validationErrorsFromRunAreUsageErrors() async {
        let result = await execute(Self.tool { parsed in _ = try parsed.option("port", as: UInt16.self) }, ["--port", "99999"])
        #expect(result == (64, "", """
            error: invalid value '99999' for '--port <port>': expected UInt16
            Usage: tool [--port <port>]
              See 'tool --help' for more information.

            """))
    }

    @Test func otherErrorsExitWithOneOrTheirCode() async {
        #expect(await execute(Self.tool { _ in throw Failure() }, []) == (1, "", "error: the relay refused the change\n"))
        #expect(await execute(Self.tool { _ in throw ExitCode(3) }, []) == (3, "", ""))
    }
}
