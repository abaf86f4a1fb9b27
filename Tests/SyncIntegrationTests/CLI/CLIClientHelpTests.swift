import Testing

/// Help texts of the built binary, compared as whole strings.
@Suite("sync-client help")
struct CLIClientHelpTests {
    @Test func dealHelp() async throws {
        let folder = try CLIClientFolder()
        let result = try await folder.run(["deal", "--help"])
        #expect(result.status == 0 && result.stderr == "")
        #expect(result.stdout == """
            OVERVIEW: Read and edit deal cards in the device store.

            Edits are checked against this device's role before they are made, written
            to the store before the command returns, and wait in the outbox for the relay.

            USAGE: sync-client deal <subcommand>

            OPTIONS:
              -h, --help              Show help information.

            SUBCOMMANDS:
              new                     Start a deal and print its id.
              list                    List the deals in the store.
              show                    Show a deal card: fields by stage, conflicts.
              set                     Set a field to a value typed as text.
              add                     Add a record to a list field.
              remove                  Remove a record of a list field by its index.
              say                     Post a message to the deal's conversation.
              history                 Show who changed what, where and when.
              conflicts               Show the fields holding concurrent values.
              resolve                 Resolve a conflict with the value that should stand.
              skip                    Skip or postpone a stage; its values are kept.
              resume                  Resume a skipped stage with its values.
              fetch                   Get a deal this device lacks (an older closed one).

              See 'sync-client deal help <subcommand>' for detailed help.

            EXAMPLES:
              Start a deal with a model:
                sync-client deal new --set vehicle.model=Camry

              Show a card as JSON:
                sync-client deal show d-7k2m9x4qpa3c --json

            """)
        #expect(try await folder.run(["help", "deal"]).stdout == result.stdout)
    }

    @Test func rootHelpHidesTheDebugCommand() async throws {
        let folder = try CLIClientFolder()
        let root = try await folder.run(["--help"])
        #expect(root.stdout.contains("  init ") && root.stdout.contains("  deal ") && !root.stdout.contains("debug"))
        let debug = try await folder.run(["debug", "edit-loop", "--help"])
        #expect(debug.status == 0)
        #expect(debug.stdout.contains("USAGE: sync-client debug edit-loop [--store <dir>] --deal <deal> --count <count>"))
    }
}
