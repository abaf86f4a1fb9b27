import CLIKit

/// A small command tree shaped like `sync-client`, shared by the CLIKit tests.
enum CLISampleTool {
    static let store = Option.option(
        "store", short: "s", value: "dir", help: "Directory of the device's local store.",
        environment: "SYNC_CLIENT_STORE", isRequired: true)
    static let json = Option.flag("json", help: "Print machine-readable JSON instead of text.")

    static let show = Command(
        name: "show", abstract: "Show one deal card with its stages and conflicts.",
        examples: [Example("Print the card of deal d-42 as JSON", "sync-client deal show d-42 --json")],
        arguments: [Argument("deal", help: "The deal's id.")],
        options: [store, json],
        run: { _ in })

    static let edit = Command(
        name: "edit", abstract: "Write one field of a deal card.",
        discussion: "The edit is checked against the role's write rules before it is made,\nthen queued in the outbox until the next sync.",
        arguments: [
            Argument("deal", help: "The deal's id."),
            Argument("field", help: "The field's dotted path, for example credit.downPayment."),
            Argument("value", help: "The new value; money may be written with spaces: \"300 000\"."),
        ],
        options: [
            store,
            .option("role", help: "The role the edit is made as.", default: "sales",
                allowedValues: ["buyer", "sales", "appraiser", "finance", "cashier", "head", "integration"]),
            .option("channel", value: "name", help: "The channel recorded with the change.", default: "pc"),
            .option("tag", help: "A label for the change; may be repeated.", isRepeatable: true),
            .flag("dry-run", short: "n", help: "Check the edit and print it without making it."),
            json,
        ],
        run: { _ in })

    static let deal = Command(
        name: "deal", abstract: "Read and edit deal cards.",
        subcommands: [show, edit])

    static let sync = Command(
        name: "sync", abstract: "Push the outbox to a relay and pull what is missing.",
        arguments: [Argument("relay", help: "The relay's URL.", default: "http://127.0.0.1:8080")],
        options: [store, .option("timeout", value: "seconds", help: "Give up after this many seconds.", default: "30")],
        run: { _ in })

    static let files = Command(
        name: "import", abstract: "Import cards from files.",
        arguments: [Argument("paths", help: "Files to read.", isVariadic: true)],
        options: [store],
        run: { _ in })

    static let root = Command(
        name: "sync-client", abstract: "A deal-card device from the shell: edit cards offline, sync with a relay.",
        version: "sync-client 0.3.0",
        examples: [
            Example("Show a card", "sync-client deal show d-42 --store ./device"),
            Example("Sync with the showroom relay", "SYNC_CLIENT_STORE=./device sync-client sync http://10.0.0.2:8080"),
        ],
        options: [.flag("verbose", short: "v", help: "Log every request and response.")],
        subcommands: [deal, sync, files])

    static let parser = CommandParser(root)
}
