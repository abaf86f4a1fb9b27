/// Turns a command line into a ``ParseResult`` for a tree of commands.
///
/// Rules, following swift-argument-parser:
/// - The first tokens that name subcommands select the command; `help <path>` shows
///   the help of a subcommand.
/// - `--name value` and `--name=value` give an option; `-s value` and `-svalue` its
///   short form; `-abc` sets several short flags at once.
/// - A value option takes the next token as its value unless that token looks like
///   an option (starts with `-`, is longer than `-`, and is not a negative number).
/// - `--` ends options: every later token is positional.
/// - `-h` and `--help` anywhere show help of the command reached so far;
///   `--version` shows the root's version if it has one.
/// - A non-repeatable option given twice, a flag given a value, an unknown option
///   or command, a missing or unexpected positional, and a value outside an option's
///   allowed values are usage errors that name the argument.
public struct CommandParser: Sendable {
    /// The tool's root command.
    public let root: Command

    /// Creates a parser; the tree must be soundly declared.
    public init(_ root: Command) {
        let problems = root.declarationProblems()
        precondition(problems.isEmpty, "invalid command tree: " + problems.joined(separator: "; "))
        self.root = root
    }

    /// Parses `arguments` (without the program name).
    /// - Parameter environment: Variables consulted for options that declare one
    ///   (pass `ProcessInfo.processInfo.environment`; tests pass a dictionary).
    public func parse(_ arguments: [String], environment: [String: String] = [:]) -> ParseResult {
        var levels = [ParsedCommand.Level(command: root)]
        var positionals: [String] = []
        var index = 0
        var optionsEnded = false
        let help = HelpFormatter(root: root)

        func fail(_ message: String) -> ParseResult {
            let chain = levels.map(\.command)
            return .error(UsageError(
                message: message, usage: help.usage(for: chain),
                commandPath: chain.map(\.name).joined(separator: " ")))
        }

        while index < arguments.count {
            let token = arguments[index]
            index += 1
            var current: Command { levels[levels.count - 1].command }
            if optionsEnded || !CommandParser.looksLikeOption(token) {
                if token == "--", !optionsEnded { optionsEnded = true; continue }
                if positionals.isEmpty, !optionsEnded, !current.subcommands.isEmpty {
                    if let sub = current.subcommand(token) {
                        levels.append(ParsedCommand.Level(command: sub))
                        continue
                    }
                    if token == "help" { return helpCommand(Array(arguments[index...]), from: levels.map(\.command)) }
                    if current.arguments.isEmpty {
                        let names = current.subcommands.map(\.name) + ["help"]
                        return fail("unknown command '\(token)'" + Suggestion.hint(for: token, among: names))
                    }
                }
                positionals.append(token)
                continue
            }
            if token == "--" { optionsEnded = true; continue }
            if token == "--help" || token == "-h" { return .help(help.help(for: levels.map(\.command))) }
            if token == "--version", current.option(named: "version") == nil, let version = root.version {
                return .version(version)
            }
            if token.hasPrefix("--") {
                let body = token.dropFirst(2)
                let name = String(body.prefix { $0 != "=" })
                let inline = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : nil
                guard let option = current.option(named: name) else {
                    var names = current.options.map { "--" + $0.name } + ["--help"]
                    if root.version != nil { names.append("--version") }
                    return fail("unknown option '--\(name)'" + Suggestion.hint(for: "--" + name, among: names))
                }
                if option.rules == nil {
                    if inline != nil { return fail("flag '--\(name)' does not take a value") }
                    levels[levels.count - 1].flags.insert(name)
                    continue
                }
                var value = inline
                if value == nil, index < arguments.count, !CommandParser.looksLikeOption(arguments[index]) {
                    value = arguments[index]
                    index += 1
                }
                if let problem = record(option, value: value, in: &levels[levels.count - 1]) { return fail(problem) }
                continue
            }
            // Short options: `-s value`, `-svalue`, `-abc` (flags).
            var letters = Array(token.dropFirst())
            while let letter = letters.first {
                letters.removeFirst()
                guard let option = current.option(short: letter) else {
                    // One letter is too short for edit distance; only a wrong case is hinted.
                    let other = letter.isUppercase ? Character(letter.lowercased()) : Character(letter.uppercased())
                    let hint = current.option(short: other) != nil || other == "h" ? ". Did you mean '-\(other)'?" : ""
                    return fail("unknown option '-\(letter)'" + hint)
                }
                if option.rules == nil {
                    levels[levels.count - 1].flags.insert(option.name)
                    continue
                }
                var value: String? = letters.isEmpty ? nil : String(letters)
                letters = []
                if value == nil, index < arguments.count, !CommandParser.looksLikeOption(arguments[index]) {
                    value = arguments[index]
                    index += 1
                }
                if let problem = record(option, value: value, in: &levels[levels.count - 1]) { return fail(problem) }
            }
        }

        let command = levels[levels.count - 1].command
        if command.run == nil, positionals.isEmpty, !command.subcommands.isEmpty {
            return .help(help.help(for: levels.map(\.command)))
        }
        var argumentValues: [String: [String]] = [:]
        var remaining = positionals[...]
        for argument in command.arguments {
            if argument.isVariadic {
                argumentValues[argument.name] = Array(remaining)
                remaining = []
            } else if let value = remaining.popFirst() {
                argumentValues[argument.name] = [value]
            }
            if argumentValues[argument.name, default: []].isEmpty {
                if let value = argument.defaultValue {
                    argumentValues[argument.name] = [value]
                } else if !argument.isOptional {
                    return fail("missing expected argument '\(argument.label)'")
                }
            }
        }
        if let extra = remaining.first { return fail("unexpected argument '\(extra)'") }
        for position in levels.indices {
            for option in levels[position].command.options {
                guard let rules = option.rules, levels[position].values[option.name] == nil else { continue }
                if let variable = rules.environment, let value = environment[variable], !value.isEmpty {
                    if let allowed = rules.allowedValues, !allowed.contains(value) {
                        return fail("invalid value '\(value)' from $\(variable) for '\(option.display)'; expected one of: " + allowed.joined(separator: ", "))
                    }
                    levels[position].values[option.name] = [value]
                } else if let value = rules.defaultValue {
                    levels[position].values[option.name] = [value]
                } else if rules.isRequired {
                    let hint = rules.environment.map { " (or set $\($0))" } ?? ""
                    return fail("missing expected argument '\(option.display)'" + hint)
                }
            }
        }
        guard command.run != nil else { return .help(help.help(for: levels.map(\.command))) }
        return .run(command, ParsedCommand(levels: levels, argumentValues: argumentValues, usage: help.usage(for: levels.map(\.command))))
    }

    /// Stores a value for `option`, or says why it cannot be.
    private func record(_ option: Option, value: String?, in level: inout ParsedCommand.Level) -> String? {
        guard let rules = option.rules else { return nil }
        guard let value else { return "missing value for '\(option.display)'" }
        if let allowed = rules.allowedValues, !allowed.contains(value) {
            return "invalid value '\(value)' for '\(option.display)'; expected one of: " + allowed.joined(separator: ", ")
                + Suggestion.hint(for: value, among: allowed)
        }
        if level.values[option.name] != nil, !rules.isRepeatable {
            return "option '\(option.display)' was given more than once"
        }
        level.values[option.name, default: []].append(value)
        return nil
    }

    /// `tool help deal show`: the help of the named subcommand.
    private func helpCommand(_ names: [String], from chain: [Command]) -> ParseResult {
        var chain = chain
        for name in names where !CommandParser.looksLikeOption(name) {
            guard let sub = chain.last!.subcommand(name) else {
                let formatter = HelpFormatter(root: root)
                let candidates = chain.last!.subcommands.map(\.name)
                return .error(UsageError(
                    message: "unknown command '\(name)'" + Suggestion.hint(for: name, among: candidates),
                    usage: formatter.usage(for: chain), commandPath: chain.map(\.name).joined(separator: " ")))
            }
            chain.append(sub)
        }
        return .help(HelpFormatter(root: root).help(for: chain))
    }

    /// Whether a token is an option rather than a value: starts with `-`, is not just
    /// `-` (conventionally standard input), and is not a negative number.
    static func looksLikeOption(_ token: String) -> Bool {
        guard token.hasPrefix("-"), token.count > 1 else { return false }
        let rest = token.dropFirst()
        return !(rest.first!.isNumber && Double(rest) != nil)
    }
}

/// "Did you mean" hints by edit distance, for commands' own validation messages too.
public enum Suggestion {
    /// `". Did you mean 'deal'?"` when a candidate is close to `input`, else `""`.
    public static func hint(for input: String, among candidates: [String]) -> String {
        var best: (name: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(input, candidate)
            if distance <= max(1, min(3, input.count / 3)), distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        guard let best else { return "" }
        return ". Did you mean '\(best.name)'?"
    }

    /// The optimal-string-alignment distance: insertions, deletions, substitutions
    /// and swaps of two neighbours each cost 1 (so `dael` is 1 from `deal`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
