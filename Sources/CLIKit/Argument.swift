/// A positional argument of a command, such as the `<deal>` in `deal show <deal>`.
///
/// Arguments are filled in declaration order. At most the last one may be variadic
/// (it takes every remaining positional), and no required argument may follow an
/// optional one; ``Command`` checks both when parsing starts.
public struct Argument: Sendable {
    /// The name shown in usage as `<name>` and used to read the value.
    public var name: String
    /// One sentence for the ARGUMENTS section of help.
    public var help: String
    /// Whether the argument may be left out.
    public var isOptional: Bool
    /// The value used when the argument is left out (makes it optional).
    public var defaultValue: String?
    /// Whether the argument takes all remaining positionals (`<paths> ...`).
    public var isVariadic: Bool

    /// Declares a positional argument.
    /// - Parameters:
    ///   - name: The name in usage (`<deal>`) and for ``ParsedCommand/argument(_:)``.
    ///   - help: One sentence for help.
    ///   - isOptional: Whether it may be left out; implied by a default.
    ///   - defaultValue: The value when left out.
    ///   - isVariadic: Whether it takes all remaining positionals; a variadic
    ///     argument that is not optional needs at least one value.
    public init(
        _ name: String, help: String, isOptional: Bool = false, default defaultValue: String? = nil,
        isVariadic: Bool = false
    ) {
        self.name = name
        self.help = help
        self.isOptional = isOptional || defaultValue != nil
        self.defaultValue = defaultValue
        self.isVariadic = isVariadic
    }

    /// `<deal>`, `<paths> ...`; brackets are added by the usage line when optional.
    var label: String { "<\(name)>" + (isVariadic ? " ..." : "") }

    /// The argument as it appears in the usage line.
    var usage: String { isOptional ? "[\(label)]" : label }
}

/// One example in the EXAMPLES section of a command's help.
public struct Example: Sendable, Hashable {
    /// What the example does, as a sentence.
    public var explanation: String
    /// The command line, starting with the tool's name.
    public var command: String

    public init(_ explanation: String, _ command: String) {
        self.explanation = explanation
        self.command = command
    }
}
