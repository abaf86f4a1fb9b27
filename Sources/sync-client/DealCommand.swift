import CLIKit

/// `sync-client deal`: the group of commands that read and edit deal cards.
func dealCommand() -> Command {
    Command(
        name: "deal",
        abstract: "Read and edit deal cards in the device store.",
        discussion: """
            Edits are checked against this device's role before they are made, written
            to the store before the command returns, and wait in the outbox for the relay.
            """,
        examples: [
            Example("Start a deal with a model", "sync-client deal new --set vehicle.model=Camry"),
            Example("Show a card as JSON", "sync-client deal show d-7k2m9x4qpa3c --json"),
        ],
        subcommands: [
            dealNewCommand(), dealListCommand(), dealShowCommand(), dealSetCommand(), dealAddCommand(),
            dealRemoveCommand(), dealSayCommand(), dealHistoryCommand(), dealConflictsCommand(),
            dealResolveCommand(), dealSkipCommand(skipping: true), dealSkipCommand(skipping: false), dealFetchCommand(),
        ])
}
