import Testing
import CLIKit

/// Full help texts of the sample tree, compared as whole strings.
@Suite("CLIKit help")
struct CLIHelpTests {
    func help(_ arguments: [String]) -> String? {
        if case .help(let text) = CLISampleTool.parser.parse(arguments) { return text }
        return nil
    }

    @Test func rootHelp() {
        #expect(help(["--help"]) == """
            OVERVIEW: A deal-card device from the shell: edit cards offline, sync with a
            relay.

            USAGE: sync-client [--verbose] <subcommand>

            OPTIONS:
              -v, --verbose           Log every request and response.
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              deal                    Read and edit deal cards.
              sync                    Push the outbox to a relay and pull what is missing.
              import                  Import cards from files.

              See 'sync-client help <subcommand>' for detailed help.

            EXAMPLES:
              Show a card:
                sync-client deal show d-42 --store ./device

              Sync with the showroom relay:
                SYNC_CLIENT_STORE=./device sync-client sync http://10.0.0.2:8080

            """)
    }

    @Test func groupHelp() {
        let expected = """
            OVERVIEW: Read and edit deal cards.

            USAGE: sync-client deal <subcommand>

            OPTIONS:
              -h, --help              Show help information.

            SUBCOMMANDS:
              show                    Show one deal card with its stages and conflicts.
              edit                    Write one field of a deal card.

              See 'sync-client deal help <subcommand>' for detailed help.

            """
        #expect(help(["deal", "--help"]) == expected)
        #expect(help(["deal", "-h"]) == expected)
        #expect(help(["help", "deal"]) == expected)
        #expect(help(["deal"]) == expected, "a group without run shows its help")
    }

    @Test func leafHelp() {
        let expected = """
            OVERVIEW: Show one deal card with its stages and conflicts.

            USAGE: sync-client deal show [--store <dir>] [--json] <deal>

            ARGUMENTS:
              <deal>                  The deal's id.

            OPTIONS:
              -s, --store <dir>       Directory of the device's local store. (env:
                                      SYNC_CLIENT_STORE)
              --json                  Print machine-readable JSON instead of text.
              -h, --help              Show help information.

            EXAMPLES:
              Print the card of deal d-42 as JSON:
                sync-client deal show d-42 --json

            """
        #expect(help(["deal", "show", "--help"]) == expected)
        #expect(help(["deal", "show", "d-42", "--store", "x", "-h"]) == expected, "help wins over a complete command")
        #expect(help(["deal", "show", "--bogus", "-h"]) == nil, "an earlier error is reported first")
        #expect(help(["deal", "help", "show"]) == expected)
    }

    @Test func helpWithDiscussionWrappedUsageAndAllowedValues() {
        #expect(help(["help", "deal", "edit"]) == """
            OVERVIEW: Write one field of a deal card.

            The edit is checked against the role's write rules before it is made,
            then queued in the outbox until the next sync.

            USAGE: sync-client deal edit [--store <dir>] [--role <role>] [--channel <name>]
                   [--tag <tag> ...] [--dry-run] [--json] <deal> <field> <value>

            ARGUMENTS:
              <deal>                  The deal's id.
              <field>                 The field's dotted path, for example
                                      credit.downPayment.
              <value>                 The new value; money may be written with spaces: "300
                                      000".

            OPTIONS:
              -s, --store <dir>       Directory of the device's local store. (env:
                                      SYNC_CLIENT_STORE)
              --role <role>           The role the edit is made as. (values: buyer, sales,
                                      appraiser, finance, cashier, head, integration,
                                      default: sales)
              --channel <name>        The channel recorded with the change. (default: pc)
              --tag <tag>             A label for the change; may be repeated.
              -n, --dry-run           Check the edit and print it without making it.
              --json                  Print machine-readable JSON instead of text.
              -h, --help              Show help information.

            """)
    }

    @Test func optionalAndVariadicArguments() {
        #expect(help(["sync", "--help"]) == """
            OVERVIEW: Push the outbox to a relay and pull what is missing.

            USAGE: sync-client sync [--store <dir>] [--timeout <seconds>] [<relay>]

            ARGUMENTS:
              <relay>                 The relay's URL.

            OPTIONS:
              -s, --store <dir>       Directory of the device's local store. (env:
                                      SYNC_CLIENT_STORE)
              --timeout <seconds>     Give up after this many seconds. (default: 30)
              -h, --help              Show help information.

            """)
        #expect(help(["import", "--help"])?.contains("USAGE: sync-client import [--store <dir>] <paths> ...\n") == true)
    }

    @Test func longLabelsPutTheDescriptionOnTheNextLine() {
        let tool = Command(
            name: "t", abstract: "T.",
            options: [.option("a-very-long-option-name", value: "value", help: "Short help.")],
            run: { _ in })
        guard case .help(let text) = CommandParser(tool).parse(["-h"]) else {
            Issue.record("no help")
            return
        }
        #expect(text == """
            OVERVIEW: T.

            USAGE: t [--a-very-long-option-name <value>]

            OPTIONS:
              --a-very-long-option-name <value>
                                      Short help.
              -h, --help              Show help information.

            """)
    }

    @Test func version() {
        guard case .version(let text) = CLISampleTool.parser.parse(["deal", "show", "--version"]) else {
            Issue.record("no version")
            return
        }
        #expect(text == "sync-client 0.3.0")
        #expect(CLISampleTool.parser.parse(["--version"]).exitCode == 0)
    }
}
