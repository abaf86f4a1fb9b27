/// A named option (`--store <dir>`) or flag (`--json`) of a command.
///
/// Declare with ``option(_:short:value:help:default:environment:isRequired:allowedValues:isRepeatable:)``
/// or ``flag(_:short:help:)``. An option's value comes from the command line
/// (`--name value` or `--name=value`), else from its environment variable if it
/// declares one and the variable is set and not empty, else from its default.
public struct Option: Sendable {
    /// What the option takes.
    public enum Kind: Sendable {
        /// A flag: present or not; takes no value.
        case flag
        /// An option that takes a value.
        case value(ValueRules)
    }

    /// How an option's value is named, found and checked.
    public struct ValueRules: Sendable {
        /// The value's name in usage: `--store <dir>`.
        public var valueName: String
        /// Used when neither the command line nor the environment gives a value.
        public var defaultValue: String?
        /// The environment variable read when the option is not on the command line.
        public var environment: String?
        /// Whether a value must come from somewhere (command line, environment, default).
        public var isRequired: Bool
        /// When set, the only values accepted.
        public var allowedValues: [String]?
        /// Whether the option may be given several times (read with ``ParsedCommand/options(_:)``).
        public var isRepeatable: Bool
    }

    /// The long name without dashes: `store` for `--store`.
    public var name: String
    /// An optional one-letter name: `s` for `-s`.
    public var short: Character?
    /// One sentence for the OPTIONS section of help.
    public var help: String
    /// Flag or value option.
    public var kind: Kind

    /// Declares an option that takes a value.
    public static func option(
        _ name: String, short: Character? = nil, value valueName: String? = nil, help: String,
        default defaultValue: String? = nil, environment: String? = nil, isRequired: Bool = false,
        allowedValues: [String]? = nil, isRepeatable: Bool = false
    ) -> Option {
        Option(
            name: name, short: short, help: help,
            kind: .value(
                ValueRules(
                    valueName: valueName ?? name, defaultValue: defaultValue, environment: environment,
                    isRequired: isRequired, allowedValues: allowedValues, isRepeatable: isRepeatable)))
    }

    /// Declares a flag.
    public static func flag(_ name: String, short: Character? = nil, help: String) -> Option {
        Option(name: name, short: short, help: help, kind: .flag)
    }

    /// The rules of a value option, `nil` for a flag.
    var rules: ValueRules? {
        if case .value(let rules) = kind { return rules }
        return nil
    }

    /// `--store <dir>` or `--json`: how errors name the option.
    var display: String {
        guard let rules else { return "--\(name)" }
        return "--\(name) <\(rules.valueName)>"
    }

    /// `-s, --store <dir>`: the label in help.
    var helpLabel: String {
        (short.map { "-\($0), " } ?? "") + display
    }

    /// The option in the usage line: bracketed unless a value must be typed.
    var usage: String {
        guard let rules else { return "[--\(name)]" }
        let repeated = rules.isRepeatable ? " ..." : ""
        let mustType = rules.isRequired && rules.defaultValue == nil && rules.environment == nil
        return mustType ? display + repeated : "[\(display)\(repeated)]"
    }

    /// The help sentence with the value's sources and choices appended.
    var helpText: String {
        guard let rules else { return help }
        var notes: [String] = []
        if let allowed = rules.allowedValues { notes.append("values: " + allowed.joined(separator: ", ")) }
        if let environment = rules.environment { notes.append("env: \(environment)") }
        if let value = rules.defaultValue { notes.append("default: \(value)") }
        return notes.isEmpty ? help : help + " (" + notes.joined(separator: ", ") + ")"
    }
}
