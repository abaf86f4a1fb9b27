#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command tree as a process: parse, print help or errors, run, exit.
public enum CommandLineTool {
    /// Parses `arguments`, prints what the result asks for, runs the chosen command,
    /// and returns the exit code.
    ///
    /// Help and version go to `output` (exit 0); usage errors, and a
    /// ``ValidationError`` thrown by `run`, go to `errorOutput` with the usage
    /// (exit 64); ``ExitCode`` thrown by `run` exits with its code silently; any
    /// other error is printed as `error: <description>` (exit 1).
    public static func execute(
        _ root: Command, arguments: [String], environment: [String: String],
        output: @Sendable (String) -> Void, errorOutput: @Sendable (String) -> Void
    ) async -> Int32 {
        let result = CommandParser(root).parse(arguments, environment: environment)
        switch result {
        case .help(let text):
            output(text)
        case .version(let version):
            output(version + "\n")
        case .error(let error):
            errorOutput(error.text)
        case .run(let command, let parsed):
            do {
                try await command.run!(parsed)
            } catch let error as ValidationError {
                let usage = UsageError(message: error.message, usage: parsed.usage, commandPath: parsed.commandPath.joined(separator: " "))
                errorOutput(usage.text)
                return ExitCode.usage.code
            } catch let exit as ExitCode {
                return exit.code
            } catch {
                errorOutput("error: \(error)\n")
                return ExitCode.failure.code
            }
        }
        return result.exitCode
    }

    /// The `main` of a tool: runs `root` with the process's arguments and
    /// environment, printing to standard output and error, and exits the process.
    public static func main(_ root: Command) async -> Never {
        var environment: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        let code = await execute(
            root, arguments: Array(CommandLine.arguments.dropFirst()), environment: environment,
            output: { text in writeAll(text, to: 1) },
            errorOutput: { text in writeAll(text, to: 2) })
        exit(code)
    }

    /// Writes every byte of `text` to a file descriptor, retrying short writes
    /// (unbuffered, so output and errors interleave in the order they were made).
    static func writeAll(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
