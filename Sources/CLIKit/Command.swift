/// A command of a command-line tool, declared as data and run by a closure.
///
/// A tool is a tree of commands: the root (the tool itself, e.g. `sync-client`)
/// and subcommands (`deal`, `deal show`). A command with subcommands and no `run`
/// is a group: invoking it alone shows its help.
///
/// ```swift
/// let show = Command(
///     name: "show", abstract: "Show one deal card.",
///     arguments: [Argument("deal", help: "The deal's id.")],
///     options: [.option("store", value: "dir", help: "The store.", environment: "SYNC_CLIENT_STORE"),
///               .flag("json", help: "Print JSON.")],
///     run: { parsed in print(parsed.argument("deal")!) })
/// ```
public struct Command: Sendable {
    /// The work a command does once its arguments are parsed. Throw
    /// ``ValidationError`` for a bad value (exit 64, usage shown) or ``ExitCode`` to
    /// exit with a chosen code; any other error exits 1 with its description.
    public typealias Run = @Sendable (ParsedCommand) async throws -> Void

    /// The name typed on the command line.
    public var name: String
    /// One line for OVERVIEW and for the parent's SUBCOMMANDS list.
    public var abstract: String
    /// Further text shown under OVERVIEW, printed as written.
    public var discussion: String
    /// The version printed by `--version`; read from the root command only.
    public var version: String?
    /// Examples for the EXAMPLES section.
    public var examples: [Example]
    /// Positional arguments, in order.
    public var arguments: [Argument]
    /// Options and flags.
    public var options: [Option]
    /// Subcommands, in the order help lists them.
    public var subcommands: [Command]
    /// The work; `nil` for a group.
    public var run: Run?

    public init(
        name: String, abstract: String, discussion: String = "", version: String? = nil,
        examples: [Example] = [], arguments: [Argument] = [], options: [Option] = [],
        subcommands: [Command] = [], run: Run? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.version = version
        self.examples = examples
        self.arguments = arguments
        self.options = options
        self.subcommands = subcommands
        self.run = run
    }

    /// The subcommand called `name`, if any.
    public func subcommand(_ name: String) -> Command? {
        subcommands.first { $0.name == name }
    }

    /// The option or flag with long name `name`, if declared.
    func option(named name: String) -> Option? {
        options.first { $0.name == name }
    }

    /// The option or flag with short name `short`, if declared.
    func option(short: Character) -> Option? {
        options.first { $0.short == short }
    }

    /// Mistakes in the declaration of this command and its subcommands: duplicate
    /// names, options shadowing `--help`, a variadic argument that is not last, a
    /// required argument after an optional one. Empty when the tree is sound.
    ///
    /// Parsing checks this with a precondition: a bad tree is a programming error.
    public func declarationProblems() -> [String] {
        var problems: [String] = []
        let where_ = "command '\(name)'"
        var longNames: Set<String> = ["help"]
        var shortNames: Set<Character> = ["h"]
        for option in options {
            if !longNames.insert(option.name).inserted { problems.append("\(where_): duplicate option '--\(option.name)'") }
            if let short = option.short, !shortNames.insert(short).inserted {
                problems.append("\(where_): duplicate short option '-\(short)'")
            }
            if option.name.isEmpty || option.name.hasPrefix("-") || option.name.contains("=") {
                problems.append("\(where_): invalid option name '\(option.name)'")
            }
        }
        var argumentNames: Set<String> = []
        var sawOptional = false
        for (index, argument) in arguments.enumerated() {
            if !argumentNames.insert(argument.name).inserted { problems.append("\(where_): duplicate argument '<\(argument.name)>'") }
            if argument.isVariadic, index != arguments.count - 1 {
                problems.append("\(where_): variadic argument '<\(argument.name)>' must be last")
            }
            if sawOptional, !argument.isOptional {
                problems.append("\(where_): required argument '<\(argument.name)>' follows an optional one")
            }
            sawOptional = sawOptional || argument.isOptional
        }
        var commandNames: Set<String> = []
        for sub in subcommands {
            if !commandNames.insert(sub.name).inserted { problems.append("\(where_): duplicate subcommand '\(sub.name)'") }
            problems += sub.declarationProblems()
        }
        return problems
    }
}
