import CLIKit
import SyncProtocol

/// The command groups of `sync-client`, in the order help lists them.
///
/// Adding a group (`sync`, `watch`, `status`, `demo`) is one line here: a function that
/// returns its ``Command``.
func commandGroups() -> [Command] {
    [
        initCommand(),
        dealCommand(),
        syncCommand(),
        watchCommand(),
        statusCommand(),
        demoCommand(),
    ]
}

/// Maintenance commands that help does not list. They are reachable only by typing their
/// name first (`sync-client debug …`), because CLIKit has no hidden-command flag: the tree
/// that includes them is used only when the command line starts with one of them.
func hiddenCommandGroups() -> [Command] {
    [
        debugCommand(),
    ]
}

/// The root command for a command line (without the program name): the visible groups,
/// plus the hidden ones when the line starts with a hidden group's name.
func rootCommand(forArguments arguments: [String] = []) -> Command {
    let hidden = hiddenCommandGroups()
    let showsHidden = arguments.first.map { name in hidden.contains { $0.name == name } } ?? false
    return Command(
        name: "sync-client",
        abstract: "A deal-card device from the shell: edit cards offline, sync with a relay.",
        discussion: """
            Each store folder is one device with its own user, role and channel. Edits
            are written to the store before a command returns and wait in its outbox for
            the relay.
            """,
        version: DealSyncVersion.string,
        examples: [
            Example("Create a device for a sales manager",
                    "sync-client init --store ./olga --server http://relay:8080 --token T --channel pc --user olga --role sales --dealership north"),
            Example("Start a deal and set its price", "sync-client deal set $(sync-client deal new) vehicle.price '2 330 000'"),
        ],
        subcommands: commandGroups() + (showsHidden ? hidden : []))
}

// MARK: Options shared by every command

/// `--store <dir>`: the device store folder every command works on.
let storeOption = Option.option(
    "store", value: "dir", help: "The device store folder.", default: "./.sync-client", environment: "SYNC_CLIENT_STORE")

/// `--json`: machine-readable output for read commands.
let jsonFlag = Option.flag("json", help: "Print canonical JSON (sorted keys) instead of text.")

/// `<deal>`: the deal id argument of the `deal` commands.
let dealArgument = Argument("deal", help: "The deal's id (as printed by 'deal new' and 'deal list').")
