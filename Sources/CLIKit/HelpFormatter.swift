/// Renders help and usage text in swift-argument-parser's layout.
///
/// ```
/// OVERVIEW: <abstract>
///
/// <discussion>
///
/// USAGE: <tool> <subcommand> [--option <value>] [--flag] <argument>
///
/// ARGUMENTS:
///   <argument>              Help text.
///
/// OPTIONS:
///   -s, --store <dir>       Help text. (env: VAR, default: value)
///   -h, --help              Show help information.
///
/// SUBCOMMANDS:
///   name                    Abstract.
///
///   See '<tool> help <subcommand>' for detailed help.
///
/// EXAMPLES:
///   Explanation:
///     <tool> command line
/// ```
/// Labels are indented by 2; descriptions start at column 26 and wrap at 80
/// columns. A label too long for its column puts the description on the next line.
struct HelpFormatter {
    let root: Command

    static let width = 80
    static let descriptionColumn = 26

    /// The usage line for the last command of `chain` (without the `USAGE: ` prefix):
    /// the command path, its options, then its arguments or `<subcommand>`.
    func usage(for chain: [Command]) -> String {
        usageItems(for: chain).joined(separator: " ")
    }

    /// The usage line's items, each kept whole when the line is wrapped.
    func usageItems(for chain: [Command]) -> [String] {
        let command = chain.last!
        var items = [chain.map(\.name).joined(separator: " ")]
        items += command.options.map(\.usage)
        items += command.arguments.map(\.usage)
        if !command.subcommands.isEmpty, command.arguments.isEmpty {
            items.append(command.run == nil ? "<subcommand>" : "[<subcommand>]")
        }
        return items
    }

    /// `USAGE: …` wrapped at ``width`` between items, continued under the first item.
    func usageSection(for chain: [Command]) -> String {
        let prefix = "USAGE: "
        var lines: [String] = []
        var line = prefix
        for item in usageItems(for: chain) {
            if line.count > prefix.count, line.count + 1 + item.count > HelpFormatter.width {
                lines.append(line)
                line = String(repeating: " ", count: prefix.count)
            } else if line.count > prefix.count {
                line += " "
            }
            line += item
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }

    /// The full help text for the last command of `chain`, ending with a newline.
    func help(for chain: [Command]) -> String {
        let command = chain.last!
        var sections: [String] = []
        sections.append(HelpFormatter.wrap("OVERVIEW: " + command.abstract, indent: 0, hanging: 0))
        if !command.discussion.isEmpty { sections.append(command.discussion) }
        sections.append(usageSection(for: chain))
        if !command.arguments.isEmpty {
            sections.append("ARGUMENTS:\n" + command.arguments.map { HelpFormatter.row($0.label, $0.help) }.joined())
        }
        var optionRows = command.options.map { HelpFormatter.row($0.helpLabel, $0.helpText) }
        if chain.count == 1, root.version != nil, command.option(named: "version") == nil {
            optionRows.append(HelpFormatter.row("--version", "Show the version."))
        }
        optionRows.append(HelpFormatter.row("-h, --help", "Show help information."))
        sections.append("OPTIONS:\n" + optionRows.joined())
        if !command.subcommands.isEmpty {
            let path = chain.map(\.name).joined(separator: " ")
            sections.append(
                "SUBCOMMANDS:\n" + command.subcommands.map { HelpFormatter.row($0.name, $0.abstract) }.joined()
                    + "\n  See '\(path) help <subcommand>' for detailed help.")
        }
        if !command.examples.isEmpty {
            sections.append(
                "EXAMPLES:\n"
                    + command.examples.map { example in
                        HelpFormatter.wrap(example.explanation + ":", indent: 2, hanging: 2) + "\n    " + example.command
                    }.joined(separator: "\n\n"))
        }
        return sections.map { $0.hasSuffix("\n") ? String($0.dropLast()) : $0 }.joined(separator: "\n\n") + "\n"
    }

    /// One `  label   description` row, wrapped, ending with a newline.
    static func row(_ label: String, _ description: String) -> String {
        let column = descriptionColumn
        let lead = "  " + label
        let body = wrap(description, indent: column, hanging: column).dropFirst(column)
        if lead.count <= column - 2 {
            return lead + String(repeating: " ", count: column - lead.count) + body + "\n"
        }
        return lead + "\n" + String(repeating: " ", count: column) + body + "\n"
    }

    /// Wraps `text` at ``width`` columns: the first line indented by `indent`, the
    /// rest by `hanging`. Words longer than a line are kept whole.
    static func wrap(_ text: String, indent: Int, hanging: Int) -> String {
        var lines: [String] = []
        var line = String(repeating: " ", count: indent)
        var lineIsEmpty = true
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            if !lineIsEmpty, line.count + 1 + word.count > width {
                lines.append(line)
                line = String(repeating: " ", count: hanging)
                lineIsEmpty = true
            }
            line += (lineIsEmpty ? "" : " ") + word
            lineIsEmpty = false
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
