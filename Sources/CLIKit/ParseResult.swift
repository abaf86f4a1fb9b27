/// What a command line asks for: run a command, show help, show the version, or
/// report a usage error.
///
/// Exit codes follow the BSD `sysexits` convention used by swift-argument-parser:
/// 0 after help and version, 64 (`EX_USAGE`) for a usage error.
public enum ParseResult: Sendable {
    /// Run `command` with `parsed`.
    case run(Command, ParsedCommand)
    /// Print this help text to standard output.
    case help(String)
    /// Print this version to standard output.
    case version(String)
    /// Print ``UsageError/text`` to standard error.
    case error(UsageError)

    /// The exit code for help, version and errors; 0 for `run`, whose code is the
    /// command's own.
    public var exitCode: Int32 {
        switch self {
        case .run, .help, .version: 0
        case .error: ExitCode.usage.code
        }
    }
}

/// A command line that cannot be run: what was wrong, and the usage to fix it.
public struct UsageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One sentence naming the argument, with a hint where there is one:
    /// `unknown option '--stor'. Did you mean '--store'?`
    public let message: String
    /// The usage line of the command being parsed: `sync-client deal show <deal> [--json]`.
    public let usage: String
    /// The command path whose help explains more: `sync-client deal show`.
    public let commandPath: String

    public init(message: String, usage: String, commandPath: String) {
        self.message = message
        self.usage = usage
        self.commandPath = commandPath
    }

    /// The three lines printed to standard error:
    /// ```
    /// error: unknown option '--stor'. Did you mean '--store'?
    /// Usage: sync-client deal show <deal> [--store <dir>]
    ///   See 'sync-client deal show --help' for more information.
    /// ```
    public var text: String {
        "error: \(message)\nUsage: \(usage)\n  See '\(commandPath) --help' for more information.\n"
    }

    public var description: String { text }
}
