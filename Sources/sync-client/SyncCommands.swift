import CLIKit
import CanonicalJSON
import DealCardKit
import RelayClient
import SyncCore
import SyncProtocol
import Foundation

/// The session of the device in `store`, against the relay and token it was created with.
func syncSession(for store: DeviceStore) throws -> SyncSession {
    guard let server = store.identity.server, let url = URL(string: server), let token = store.identity.token else {
        throw ValidationError("this device has no relay: create it with 'sync-client init --server <url> --token <token>'")
    }
    return SyncSession(store: store, connection: RelayConnection(baseURL: url, token: token))
}

/// `sync-client sync`: one sync with the relay.
func syncCommand() -> Command {
    Command(
        name: "sync",
        abstract: "Push the outbox to the relay and pull what this device lacks.",
        discussion: """
            Safe to interrupt and to repeat: a retry after a cut connection sends and
            receives nothing twice. Changes the relay refuses are kept in the quarantine
            (see 'sync-client status') and the card returns to the relay's state.
            """,
        examples: [
            Example("Sync the device in ./kiosk", "sync-client sync --store ./kiosk"),
            Example("A first sync with a year of closed deals", "sync-client sync --store ./pc --closed-deal-days 365"),
        ],
        options: [
            storeOption,
            .option("closed-deal-days", value: "n",
                    help: "On a first sync, also bring deals closed within n days (0…36500; default: the relay's, 30). Older ones: 'deal fetch'."),
            jsonFlag,
        ],
        run: { parsed in
            let terminal = Terminal.current()
            let closedDealDays = try parsed.option("closed-deal-days", as: Int.self)
            if let closedDealDays, !(0...36_500).contains(closedDealDays) {
                throw ValidationError("--closed-deal-days must be within 0…36500 (got \(closedDealDays))")
            }
            try await withStore(parsed) { store in
                let session = try syncSession(for: store)
                await session.setClosedDealDays(closedDealDays)
                let before = try await store.outboxCount()
                let report: SyncReport
                do {
                    // A progress line on stderr when there is much to transfer (several rounds).
                    report = try await session.syncRetrying(attempts: 3, maxDelay: 1) { progress in
                        guard progress.rounds > 1 || progress.pushed + progress.received > 500 else { return }
                        terminal.writeError("sync: round \(progress.rounds), pushed \(progress.pushed) of \(before), received \(progress.received) changes, \(progress.snapshots) snapshots\n")
                    }
                } catch {
                    let waiting = try await store.outboxCount()
                    throw CommandFailure("\(error)\n\(waiting) local change\(waiting == 1 ? "" : "s") wait in the outbox; nothing was lost")
                }
                if parsed.flag("json") {
                    terminal.write(ClientJSON.text(.object([
                        "pushed": .number(String(report.pushed)), "accepted": .number(String(report.accepted)),
                        "received": .number(String(report.received)), "snapshots": .number(String(report.snapshots)),
                        "cursor": .number(String(report.cursor.rawValue)),
                        "refused": .array(report.refused.map { refusal in
                            .object(["deal": .string(refusal.ref.deal.rawValue), "code": .string(refusal.code.rawValue),
                                     "path": refusal.path.map(SchemaJSON.string) ?? .null, "reason": .string(refusal.reason)])
                        }),
                    ])))
                    return
                }
                var lines = ["Synced with \(store.identity.server ?? "?"): pushed \(report.pushed) of \(before) (\(report.accepted) accepted), received \(report.received) change\(report.received == 1 ? "" : "s")"
                    + (report.snapshots > 0 ? " and \(report.snapshots) snapshot\(report.snapshots == 1 ? "" : "s")" : "") + "."]
                for refusal in report.refused {
                    lines.append(terminal.paint("Refused by the relay", .boldRed) + ": \(refusal.ref.deal) "
                                 + (refusal.path.map { "\($0) — " } ?? "") + "\(refusal.code): \(refusal.reason) (kept in the quarantine)")
                }
                lines.append(terminal.paint("Up to date.", .green))
                terminal.write(lines.joined(separator: "\n") + "\n")
            }
        })
}

/// `sync-client status`: the device's connection and queues.
func statusCommand() -> Command {
    Command(
        name: "status",
        abstract: "Show the device's relay state, outbox, last sync and quarantine.",
        examples: [Example("Is everything sent?", "sync-client status --store ./kiosk")],
        options: [storeOption, jsonFlag],
        run: { parsed in
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let identity = store.identity
                var online = "no relay configured"
                var isOnline = false
                if let server = identity.server, let url = URL(string: server), let token = identity.token {
                    do {
                        let _: WhoAmI = try await RelayConnection(baseURL: url, token: token).get("v1/whoami", timeout: 3)
                        online = "online"
                        isOnline = true
                    } catch {
                        online = "offline (\(error))"
                    }
                }
                let outbox = try await store.outboxCount()
                let relay = identity.server ?? ""
                let lastSync = try await store.lastSync(relay: relay)
                let quarantine = try await store.quarantined()
                let window = try await store.firstSyncWindow(relay: relay)
                let toFetch = try await store.dealsToFetch()
                if parsed.flag("json") {
                    terminal.write(ClientJSON.text(.object([
                        "user": .string(identity.user), "role": .string(identity.role.rawValue), "device": .string(identity.device),
                        "channel": .string(identity.channel.rawValue), "relay": .string(relay), "online": .bool(isOnline),
                        "outbox": .number(String(outbox)), "lastSync": lastSync.map { .string(utcTimestamp($0)) } ?? .null,
                        "firstSync": window.map { window in
                            .object(["closedDealDays": window.closedDealDays.map { .number(String($0)) } ?? .null,
                                     "archivedDeals": window.archivedDeals.map { .number(String($0)) } ?? .null])
                        } ?? .null,
                        "fetching": .array(toFetch.map { .string($0.rawValue) }),
                        "quarantine": .array(quarantine.map { entry in
                            .object(["deal": .string(entry.ref.deal.rawValue), "document": .string(entry.ref.document.rawValue),
                                     "seq": .number(String(entry.ref.seq)), "code": .string(entry.code.rawValue), "reason": .string(entry.reason)])
                        }),
                    ])))
                    return
                }
                var lines = [
                    "Device   \(identity.device) — \(identity.user) (\(identity.role.rawValue)) on \(identity.channel.rawValue), dealership \(identity.dealership)",
                    "Relay    \(relay.isEmpty ? "none" : relay): " + terminal.paint(online, isOnline ? .green : .yellow),
                    "Outbox   \(outbox) change\(outbox == 1 ? "" : "s") waiting",
                    "Synced   \(lastSync.map(localMinute) ?? "never")",
                    "Deals    " + windowText(window, synced: lastSync != nil, fetching: toFetch),
                    "Quarantine  \(quarantine.count) refused change\(quarantine.count == 1 ? "" : "s")",
                ]
                for entry in quarantine {
                    lines.append("  \(localMinute(entry.at))  \(entry.ref.deal)  \(entry.code): \(entry.reason)")
                }
                terminal.write(lines.joined(separator: "\n") + "\n")
            }
        })
}

/// The status line of the first-sync window: which deals the device holds.
private func windowText(_ window: DeviceStore.FirstSyncWindow?, synced: Bool, fetching: [DealID]) -> String {
    var text: String
    if let window {
        if let days = window.closedDealDays {
            text = "open ones and those closed within \(days) day\(days == 1 ? "" : "s") of the first sync"
            if let archived = window.archivedDeals {
                text += "; \(archived) older closed deal\(archived == 1 ? "" : "s") left on the relay ('sync-client deal fetch DEAL')"
            }
        } else {
            text = "every deal (the relay applied no window)"
        }
    } else {
        // A relay from before windows names none: it sent every deal.
        text = synced ? "every deal the relay sent (it named no window)" : "no first sync yet"
    }
    if !fetching.isEmpty { text += "; \(fetching.count) to fetch on the next sync" }
    return text
}

/// `sync-client watch [DEAL]`: live mode, printing each change as it arrives.
func watchCommand() -> Command {
    Command(
        name: "watch",
        abstract: "Stay connected and print each change of the device's deals as it arrives.",
        discussion: """
            Holds a long-poll to the relay, applies remote changes at once and pushes local
            ones; reconnects by itself. Stops on Ctrl-C, after --count changes, or after
            --seconds.
            """,
        examples: [Example("Follow one deal", "sync-client watch d-7k2m9x4qpa3c --store ./pc")],
        arguments: [Argument("deal", help: "Only this deal's changes.", isOptional: true)],
        options: [
            storeOption,
            .option("count", value: "n", help: "Stop after printing this many changes."),
            .option("seconds", value: "n", help: "Stop after this many seconds."),
            jsonFlag,
        ],
        run: { parsed in
            let deal = try parsed.argument("deal").map { _ in try dealID(parsed) }
            let count = try parsed.option("count", as: Int.self)
            let seconds = try parsed.option("seconds", as: Int.self)
            let json = parsed.flag("json")
            let terminal = Terminal.current()
            try await withStore(parsed) { store in
                let session = try syncSession(for: store)
                let events = await store.events(for: deal)
                await session.startLive(pollSeconds: 20)
                if !json { terminal.write("Watching \(deal.map { "deal \($0)" } ?? "every deal") on \(store.identity.server ?? "?")…\n") }
                let stopper = Task {
                    if let seconds { try? await Task.sleep(for: .seconds(seconds)) } else { try? await Task.sleep(for: .seconds(365 * 86_400)) }
                }
                let printer = Task {
                    var printed = 0
                    for await event in events where event.origin == .remote {
                        let history = (try? await store.history(event.deal)) ?? []
                        for entry in history where event.changes.contains(entry.change) {
                            if json {
                                terminal.write(ClientJSON.text(.object([
                                    "deal": .string(event.deal.rawValue), "document": .string(entry.document.rawValue),
                                    "author": ClientJSON.author(entry.author), "edits": .array(entry.edits.map(SchemaJSON.string)),
                                    "paths": .array(entry.paths.map(SchemaJSON.string)),
                                ])))
                            } else {
                                let who = entry.author.map(authorText) ?? "unknown author"
                                let time = entry.author.map { localMinute($0.time) } ?? ""
                                terminal.write("\(time)  \(event.deal)  \(who)  \(entry.edits.joined(separator: "; "))\n")
                            }
                            printed += 1
                        }
                        if let count, printed >= count { return }
                    }
                }
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await printer.value }
                    group.addTask { await stopper.value }
                    await group.next()
                    // The children wait on unstructured tasks: cancel those so the group ends.
                    printer.cancel()
                    stopper.cancel()
                }
                await session.stopLive()
            }
        })
}

/// A command that failed for a reason its message explains (exit status 1).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
