import CLIKit
import CanonicalJSON
import SyncCore
import SyncProtocol

/// `deal fetch DEAL`: gets a deal the first sync left out (closed before its window), or any
/// deal by id, from the relay; it syncs from then on.
func dealFetchCommand() -> Command {
    Command(
        name: "fetch", abstract: "Get a deal this device lacks (an older closed one).",
        discussion: """
            A first sync brings the open deals and those closed within the window that
            'sync-client status' shows; an older one is fetched by its id and then stays
            synced like the others. The request is kept in the store until the relay has
            answered it, so it survives being offline: the next sync finishes it.
            """,
        examples: [Example("Get an old closed deal", "sync-client deal fetch d-7k2m9x4qpa3c --store ./pc")],
        arguments: [dealArgument], options: [storeOption, jsonFlag],
        run: { parsed in
            let deal = try dealID(parsed)
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let session = try syncSession(for: store)
                let outcome: SyncSession.FetchOutcome
                do {
                    outcome = try await session.fetchDeal(deal)
                } catch {
                    throw CommandFailure("\(error)\nthe deal stays asked for: the next 'sync-client sync' fetches it")
                }
                let word: String
                switch outcome {
                case .fetched: word = "fetched"
                case .alreadyHere: word = "already_here"
                case .unknown: word = "unknown"
                case .notSent: word = "not_sent"
                }
                if parsed.flag("json") {
                    terminal.write(ClientJSON.text(.object(["deal": .string(deal.rawValue), "outcome": .string(word)])))
                    if outcome == .unknown { throw CommandFailure("the relay has no deal \(deal) for this device") }
                    return
                }
                switch outcome {
                case .fetched:
                    terminal.write("Fetched \(deal) from \(store.identity.server ?? "the relay"); it syncs from now on.\n")
                case .alreadyHere:
                    terminal.write("\(deal) is on this device already; synced.\n")
                case .unknown:
                    throw CommandFailure("the relay has no deal \(deal) for this device (no such deal, or not one this token may see); check the id with the deal's owner")
                case .notSent:
                    throw CommandFailure("the relay answered without deal \(deal) (a relay too old to fetch deals?); it stays asked for, and the next sync asks again")
                }
            }
        })
}
