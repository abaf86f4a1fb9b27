/// The values given to a command, handed to its `run` closure.
///
/// Options given before a subcommand belong to the command they were given to, and
/// are readable here too: a lookup searches the running command first, then its
/// ancestors. Asking for a name no command of the chain declares is a programming
/// error and traps.
public struct ParsedCommand: Sendable {
    /// Values of one command of the chain.
    struct Level: Sendable {
        var command: Command
        var values: [String: [String]] = [:]
        var flags: Set<String> = []
    }

    /// The commands from the root to the one that runs (`["sync-client", "deal", "show"]`).
    public var commandPath: [String] { levels.map(\.command.name) }
    /// The running command's usage line, for messages of its own.
    public let usage: String

    var levels: [Level]
    var argumentValues: [String: [String]]

    init(levels: [Level], argumentValues: [String: [String]], usage: String) {
        self.levels = levels
        self.argumentValues = argumentValues
        self.usage = usage
    }

    private func level(declaring name: String) -> Level {
        guard let level = levels.last(where: { $0.command.option(named: name) != nil }) else {
            preconditionFailure("no command of \(commandPath.joined(separator: " ")) declares '--\(name)'")
        }
        return level
    }

    /// The value of option `name` (the last one if repeated); `nil` if none was given
    /// and it has no environment value or default.
    public func option(_ name: String) -> String? {
        level(declaring: name).values[name]?.last
    }

    /// Every value of a repeatable option, in command-line order.
    public func options(_ name: String) -> [String] {
        level(declaring: name).values[name] ?? []
    }

    /// Whether flag `name` was given.
    public func flag(_ name: String) -> Bool {
        level(declaring: name).flags.contains(name)
    }

    /// The value of positional argument `name`, or its default; `nil` if an optional
    /// argument was left out.
    public func argument(_ name: String) -> String? {
        arguments(name).first
    }

    /// Every value of a variadic argument.
    public func arguments(_ name: String) -> [String] {
        precondition(
            levels.last!.command.arguments.contains { $0.name == name },
            "command \(levels.last!.command.name) declares no argument <\(name)>")
        return argumentValues[name] ?? []
    }

    /// The option's value converted to `T` (`Int`, `UInt16`, `Double`, …).
    /// - Throws: ``ValidationError`` naming the option when the value does not convert.
    public func option<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws(ValidationError) -> T? {
        guard let text = option(name) else { return nil }
        guard let value = T(text) else {
            let display = level(declaring: name).command.option(named: name)!.display
            throw ValidationError("invalid value '\(text)' for '\(display)': expected \(String(describing: T.self))")
        }
        return value
    }

    /// The argument's value converted to `T`.
    /// - Throws: ``ValidationError`` naming the argument when the value does not convert.
    public func argument<T: LosslessStringConvertible>(_ name: String, as type: T.Type) throws(ValidationError) -> T? {
        guard let text = argument(name) else { return nil }
        guard let value = T(text) else {
            throw ValidationError("invalid value '\(text)' for '<\(name)>': expected \(String(describing: T.self))")
        }
        return value
    }
}

/// A value a command's `run` found invalid; reported like a parse error (exit 64).
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, naming the argument, e.g. `invalid value 'x' for '--port <port>'`.
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Thrown by a command's `run` to end the tool with a chosen exit code and no message.
public struct ExitCode: Error, Sendable, Hashable {
    /// The process exit code.
    public let code: Int32
    public init(_ code: Int32) { self.code = code }

    /// Success.
    public static let success = ExitCode(0)
    /// A failure reported by the command itself.
    public static let failure = ExitCode(1)
    /// A command-line usage error (BSD `EX_USAGE`).
    public static let usage = ExitCode(64)
}
