import Testing
import CLIKit

/// Parsing command lines of the sample tree: values, sources, and every error.
@Suite("CLIKit parsing")
struct CLIParserTests {
    let environment = ["SYNC_CLIENT_STORE": "/var/device"]

    func parsed(_ arguments: [String], environment: [String: String] = [:]) -> ParsedCommand? {
        if case .run(_, let parsed) = CLISampleTool.parser.parse(arguments, environment: environment) { return parsed }
        return nil
    }

    @Test func valuesFlagsAndArguments() throws {
        let show = try #require(parsed(["deal", "show", "d-42", "--store", "./s", "--json"]))
        #expect(show.commandPath == ["sync-client", "deal", "show"])
        #expect(show.argument("deal") == "d-42")
        #expect(show.option("store") == "./s")
        #expect(show.flag("json"))
        #expect(!show.flag("verbose"))
        #expect(show.usage == "sync-client deal show [--store <dir>] [--json] <deal>")
    }

    @Test("spellings of an option value", arguments: [
        ["deal", "show", "--store=./s", "d-42"],
        ["deal", "show", "-s", "./s", "d-42"],
        ["deal", "show", "-s./s", "d-42"],
        ["deal", "show", "d-42", "--store", "./s"],
    ])
    func optionSpellings(arguments: [String]) throws {
        let show = try #require(parsed(arguments))
        #expect(show.option("store") == "./s")
        #expect(show.argument("deal") == "d-42")
    }

    @Test func environmentAndDefaults() throws {
        let fromEnvironment = try #require(parsed(["sync"], environment: environment))
        #expect(fromEnvironment.option("store") == "/var/device")
        #expect(fromEnvironment.option("timeout") == "30")
        #expect(try fromEnvironment.option("timeout", as: Int.self) == 30)
        #expect(fromEnvironment.argument("relay") == "http://127.0.0.1:8080")
        let given = try #require(parsed(["sync", "--store", "./mine", "http://relay"], environment: environment))
        #expect(given.option("store") == "./mine", "the command line beats the environment")
        #expect(given.argument("relay") == "http://relay")
        let empty = CLISampleTool.parser.parse(["sync"], environment: ["SYNC_CLIENT_STORE": ""])
        #expect(empty.exitCode == 64, "an empty variable counts as unset")
    }

    @Test func terminatorRepeatsNegativeNumbersAndParentOptions() throws {
        let edit = try #require(parsed(
            ["-v", "deal", "edit", "--tag", "a", "--tag=b", "-n", "--", "d-1", "-x", "--json"], environment: environment))
        #expect(edit.flag("verbose"), "an option given to the root before the subcommand")
        #expect(edit.options("tag") == ["a", "b"])
        #expect(edit.option("tag") == "b")
        #expect(edit.flag("dry-run"))
        #expect(!edit.flag("json"), "after -- everything is positional")
        #expect([edit.argument("deal"), edit.argument("field"), edit.argument("value")] == ["d-1", "-x", "--json"])
        #expect(edit.option("role") == "sales")
        let timeout = try #require(parsed(["sync", "--timeout", "-5"], environment: environment))
        #expect(timeout.option("timeout") == "-5")
        let stdin = try #require(parsed(["import", "-", "b.json"], environment: environment))
        #expect(stdin.arguments("paths") == ["-", "b.json"])
    }

    @Test func combinedShortFlags() throws {
        let tool = Command(
            name: "t", abstract: "T.",
            options: [.flag("all", short: "a", help: "A."), .flag("brief", short: "b", help: "B."),
                .option("count", short: "c", help: "C.")],
            run: { _ in })
        guard case .run(_, let parsed) = CommandParser(tool).parse(["-abc", "3"]) else {
            Issue.record("did not parse")
            return
        }
        #expect(parsed.flag("all") && parsed.flag("brief"))
        #expect(parsed.option("count") == "3")
    }

    @Test func typedValues() throws {
        let sync = try #require(parsed(["sync", "--timeout", "soon"], environment: environment))
        #expect(throws: ValidationError("invalid value 'soon' for '--timeout <seconds>': expected Int")) {
            try sync.option("timeout", as: Int.self)
        }
        #expect(throws: ValidationError("invalid value 'http://relay' for '<relay>': expected Int")) {
            _ = try #require(parsed(["sync", "http://relay"], environment: environment)).argument("relay", as: Int.self)
        }
    }

    /// Every usage error and its exact message.
    static let errors: [([String], String, String)] = [
        (["deal", "show", "d-42", "--stor", "x"], "unknown option '--stor'. Did you mean '--store'?",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "show", "d-42", "--store"], "missing value for '--store <dir>'",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "show", "d-42", "--store", "--json"], "missing value for '--store <dir>'",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "show", "d-42", "x"], "unexpected argument 'x'",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["dael", "show"], "unknown command 'dael'. Did you mean 'deal'?", "sync-client [--verbose] <subcommand>"),
        (["frobnicate"], "unknown command 'frobnicate'", "sync-client [--verbose] <subcommand>"),
        (["deal", "shwo"], "unknown command 'shwo'. Did you mean 'show'?", "sync-client deal <subcommand>"),
        (["help", "deal", "shwo"], "unknown command 'shwo'. Did you mean 'show'?", "sync-client deal <subcommand>"),
        (["deal", "show"], "missing expected argument '<deal>'",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["import"], "missing expected argument '<paths> ...'", "sync-client import [--store <dir>] <paths> ..."),
        (["deal", "show", "d-42", "--json=yes"], "flag '--json' does not take a value",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "show", "d-42", "-x"], "unknown option '-x'",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "show", "d-42", "-S", "x"], "unknown option '-S'. Did you mean '-s'?",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "show", "d-42", "--store", "a", "--store=b"], "option '--store <dir>' was given more than once",
            "sync-client deal show [--store <dir>] [--json] <deal>"),
        (["deal", "edit", "d", "f", "v", "--role", "saels"],
            "invalid value 'saels' for '--role <role>'; expected one of: buyer, sales, appraiser, finance, cashier, head, integration. Did you mean 'sales'?",
            "sync-client deal edit [--store <dir>] [--role <role>] [--channel <name>] [--tag <tag> ...] [--dry-run] [--json] <deal> <field> <value>"),
        (["--verbos"], "unknown option '--verbos'. Did you mean '--verbose'?", "sync-client [--verbose] <subcommand>"),
        (["deal", "--json"], "unknown option '--json'", "sync-client deal <subcommand>"),
        (["deal", "--verison"], "unknown option '--verison'. Did you mean '--version'?", "sync-client deal <subcommand>"),
    ]

    @Test("usage errors", arguments: errors)
    func usageError(arguments: [String], message: String, usage: String) {
        let result = CLISampleTool.parser.parse(arguments, environment: environment)
        guard case .error(let error) = result else {
            Issue.record("\(arguments) did not fail: \(result)")
            return
        }
        #expect(error.message == message)
        #expect(error.usage == usage)
        #expect(result.exitCode == 64)
    }

    @Test func missingRequiredOptionMentionsItsVariable() {
        guard case .error(let error) = CLISampleTool.parser.parse(["deal", "show", "d-42"]) else {
            Issue.record("did not fail")
            return
        }
        #expect(error.text == """
            error: missing expected argument '--store <dir>' (or set $SYNC_CLIENT_STORE)
            Usage: sync-client deal show [--store <dir>] [--json] <deal>
              See 'sync-client deal show --help' for more information.

            """)
    }

    @Test func environmentValuesAreCheckedToo() {
        let tool = Command(
            name: "t", abstract: "T.",
            options: [.option("format", help: "F.", environment: "T_FORMAT", allowedValues: ["json", "text"])],
            run: { _ in })
        guard case .error(let error) = CommandParser(tool).parse([], environment: ["T_FORMAT": "xml"]) else {
            Issue.record("did not fail")
            return
        }
        #expect(error.message == "invalid value 'xml' from $T_FORMAT for '--format <format>'; expected one of: json, text")
    }

    @Test func declarationMistakesAreFound() {
        let bad = Command(
            name: "t", abstract: "T.",
            arguments: [Argument("a", help: "", isVariadic: true), Argument("b", help: "", isOptional: true),
                Argument("c", help: ""), Argument("c", help: "")],
            options: [.flag("help", help: ""), .flag("x", short: "h", help: ""), .flag("y", help: ""), .flag("y", help: "")],
            subcommands: [Command(name: "s", abstract: ""), Command(name: "s", abstract: "", options: [.flag("--z", help: "")])])
        #expect(bad.declarationProblems() == [
            "command 't': duplicate option '--help'",
            "command 't': duplicate short option '-h'",
            "command 't': duplicate option '--y'",
            "command 't': variadic argument '<a>' must be last",
            "command 't': required argument '<c>' follows an optional one",
            "command 't': duplicate argument '<c>'",
            "command 't': required argument '<c>' follows an optional one",
            "command 't': duplicate subcommand 's'",
            "command 's': invalid option name '--z'",
        ])
        #expect(CLISampleTool.root.declarationProblems().isEmpty)
    }
}
