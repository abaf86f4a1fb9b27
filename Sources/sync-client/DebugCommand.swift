import CLIKit
import DealCardKit

/// `sync-client debug`: maintenance commands for tests, not listed in help.
func debugCommand() -> Command {
    Command(
        name: "debug", abstract: "Maintenance commands used by tests.",
        subcommands: [editLoopCommand()])
}

/// `debug edit-loop`: sets `tradeIn.mileageKm` to 1, 2, …, N one committed edit at a
/// time and prints each number right after its edit returned.
///
/// Used by the crash test: a number on stdout is an acknowledged edit, which must survive
/// a SIGKILL at any moment.
func editLoopCommand() -> Command {
    Command(
        name: "edit-loop", abstract: "Set tradeIn.mileageKm to 1…N, printing each committed number.",
        options: [
            storeOption,
            .option("deal", help: "The deal to edit.", isRequired: true),
            .option("count", help: "How many edits to make.", isRequired: true),
        ],
        run: { parsed in
            guard let deal = DealID(parsed.option("deal")!) else {
                throw ValidationError("invalid value '\(parsed.option("deal")!)' for '--deal <deal>': not a deal id")
            }
            guard let count = try parsed.option("count", as: Int.self), count >= 0 else {
                throw ValidationError("invalid value for '--count <count>': expected a whole number from 0")
            }
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                guard count > 0 else { return }
                for number in 1...count {
                    try await store.set(deal, "tradeIn.mileageKm", .integer(Int64(number)))
                    terminal.write("\(number)\n")
                }
            }
        })
}
