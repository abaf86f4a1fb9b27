import CLIKit
import CRDT
import DealCardKit
import RelayClient
import SyncCore
import Foundation

/// `sync-client demo`: the story of one car deal across channels and roles, end to end,
/// against the real relay, `sync-server`, started as a child process on a free loopback port.
func demoCommand() -> Command {
    Command(
        name: "demo",
        abstract: "Play one deal across web, kiosk, tablet and manager PC, and check every promise.",
        discussion: """
            Starts the relay (sync-server, found beside sync-client) on a free loopback port
            and makes device stores in a temporary
            folder (removed afterwards unless --keep). A buyer configures a car and a credit
            on the web and goes offline; continues on the showroom kiosk; the appraiser
            values the trade-in on a tablet while offline; the manager sets the price and
            offers a staff-only benefit; buyer and manager change the down payment at the
            same moment; the conflict is shown and resolved; every device converges, and
            the buyer's devices never receive the staff card. Exits 1 if a promise fails.
            """,
        examples: [Example("Run the story", "sync-client demo")],
        options: [
            .flag("keep", help: "Keep the temporary folder (with the relay's log) and print where it is."),
            .option("relay-binary", value: "path", help: "The sync-server executable to start (default: beside sync-client, else on PATH)."),
        ],
        run: { parsed in
            let demo = try DemoRun(keep: parsed.flag("keep"), relayBinary: parsed.option("relay-binary"))
            let failures = await demo.play()
            guard failures == 0 else { throw CommandFailure("\(failures) promise\(failures == 1 ? "" : "s") failed (see ✗ above)") }
        })
}

/// One run of the demo: its folder, relay, devices and the checks it has made.
final class DemoRun: @unchecked Sendable {
    let folder: String
    let keep: Bool
    let terminal = Terminal.current()
    let relayServer: DemoRelay
    private var failures = 0
    private var step = 0

    init(keep: Bool, relayBinary: String?) throws {
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("sync-demo-" + String(UUID().uuidString.prefix(8)).lowercased()).path
        relayServer = try DemoRelay(explicit: relayBinary, dataDirectory: folder + "/relay")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.keep = keep
    }

    private func say(_ text: String) {
        step += 1
        terminal.write("\n" + terminal.paint("\(step). ", .bold) + text + "\n")
    }

    private func note(_ text: String) { terminal.write("   " + text + "\n") }

    private func check(_ condition: Bool, _ promise: String) {
        if condition {
            terminal.write("   " + terminal.paint("✓", .green) + " \(promise)\n")
        } else {
            failures += 1
            terminal.write("   " + terminal.paint("✗ \(promise)", .boldRed) + "\n")
        }
    }

    /// Plays the story; returns how many promises failed.
    func play() async -> Int {
        defer { relayServer.stop() }
        defer { if !keep { try? FileManager.default.removeItem(atPath: folder) } else { terminal.write("\nFiles kept in \(folder)\n") } }
        do {
            try await story()
        } catch {
            failures += 1
            terminal.writeError("demo stopped: \(error)\n")
        }
        terminal.write("\n" + (failures == 0 ? terminal.paint("Every promise held.", .green) : terminal.paint("\(failures) promise(s) failed.", .boldRed)) + "\n")
        return failures
    }

    private func device(_ user: String, _ role: Role, _ channel: Channel, relay: String) throws -> (DeviceStore, SyncSession) {
        let deviceID = "\(user)-\(channel.rawValue)"
        let token = try relayServer.issueToken(user: user, role: role.rawValue, dealership: "north", device: deviceID)
        let identity = DeviceIdentity(user: user, role: role, dealership: "north", device: deviceID, channel: channel,
                                      server: relay, token: token)
        let store = try DeviceStore(creatingAt: folder + "/" + deviceID, identity: identity)
        return (store, SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: relay)!, token: token)))
    }

    private func story() async throws {
        let relay = try relayServer.start()
        terminal.write(terminal.paint("Deal sync demo", .bold) + " — relay on \(relay), devices in \(folder)\n")

        say("Ivan, a buyer, configures a Camry and a credit on the dealer's web site, then closes the laptop.")
        let (web, webSync) = try device("ivan", .buyer, .web, relay: relay)
        let deal = try await web.createDeal(values: [
            "vehicle.model": .text("Toyota Camry"), "vehicle.trim": .text("Prestige"), "vehicle.color": .text("Pearl white"),
            "credit.amount": .money(minorUnits: 150_000_000, currency: "RUB"), "credit.termMonths": .integer(36),
            "credit.downPayment": .money(minorUnits: 30_000_000, currency: "RUB"),
        ])
        try await webSync.sync()
        note("deal \(deal) created and synced from the web; Ivan is now offline")

        say("Next day Ivan continues on the showroom kiosk: nothing he did online is lost.")
        let (kiosk, kioskSync) = try device("ivan", .buyer, .kiosk, relay: relay)
        try await kioskSync.sync()
        let kioskCard = try await kiosk.card(deal)
        check(kioskCard.values["vehicle.model"] == .text("Toyota Camry") && kioskCard.values["credit.termMonths"] == .integer(36),
              "the kiosk shows the car and credit configured on the web")
        try await kiosk.set(deal, "tradeIn.description", .text("Lada Vesta 2019, 64 000 km"))
        try await kiosk.addRecord(deal, "insurance.drivers", ["fullName": .text("Ivan Petrov")])
        try await kiosk.post(deal, "Can you also value my Vesta?")
        try await kioskSync.sync()

        say("Petr, the appraiser, inspects the Vesta in the yard with his tablet offline.")
        let (tablet, tabletSync) = try device("petr", .appraiser, .tablet, relay: relay)
        try await tabletSync.sync()
        try await tablet.set(deal, "tradeIn.appraisedValue", .money(minorUnits: 61_000_000, currency: "RUB"))
        note("appraised value 610 000 ₽ saved on the tablet; it waits in the outbox (\(try await tablet.outboxCount()) change)")

        say("Olga, the sales manager, sets the price and offers a staff-only benefit from her PC.")
        let (pc, pcSync) = try device("olga", .sales, .pc, relay: relay)
        try await pcSync.sync()
        try await pc.set(deal, "vehicle.price", .money(minorUnits: 233_000_000, currency: "RUB"))
        try await pc.addRecord(deal, "staff.benefitsMenu", ["title": .text("Winter tyres as a gift"), "amount": .money(minorUnits: 4_500_000, currency: "RUB")])
        try await pc.set(deal, "staff.notes", .text("Ready to sign this week; offer tyres if he hesitates."))
        do {
            try await kiosk.set(deal, "vehicle.price", .money(minorUnits: 1, currency: "RUB"))
            check(false, "the kiosk refuses a buyer's edit of the price")
        } catch {
            check("\(error)".contains("buyer may not write vehicle.price"), "the kiosk refuses a buyer's edit of the price: \(error)")
        }
        try await pcSync.sync()

        say("Ivan and Olga change the down payment at the same moment.")
        try await kioskSync.sync()
        try await kiosk.set(deal, "credit.downPayment", .money(minorUnits: 35_000_000, currency: "RUB"))
        try await pc.set(deal, "credit.downPayment", .money(minorUnits: 40_000_000, currency: "RUB"))
        try await kioskSync.sync()
        try await pcSync.sync()
        try await kioskSync.sync()
        let conflict = try await pc.card(deal).conflicts["credit.downPayment"] ?? []
        let kioskConflict = try await kiosk.card(deal).conflicts["credit.downPayment"] ?? []
        for value in conflict {
            note("  \(value.value?.displayText ?? "?")  by \(value.author?.user ?? "?") (\(value.author?.role.rawValue ?? "?"), \(value.author?.channel.rawValue ?? "?"))")
        }
        check(conflict.count == 2 && kioskConflict.count == 2, "both values are kept and shown as a conflict on both devices")

        say("Olga agrees 375 000 ₽ with Ivan and resolves the conflict.")
        try await pc.resolve(deal, "credit.downPayment", .money(minorUnits: 37_500_000, currency: "RUB"))
        try await pcSync.sync()

        say("The appraiser's tablet comes back online; every device syncs.")
        for session in [tabletSync, kioskSync, webSync, pcSync, tabletSync] { try await session.sync() }
        let cards = [try await web.card(deal), try await kiosk.card(deal), try await tablet.card(deal), try await pc.card(deal)]
        let shared = cards.map { $0.values.filter { !$0.key.hasPrefix("staff.") } }
        check(shared.allSatisfy { $0 == shared[0] }, "web, kiosk, tablet and PC show the same card")
        check(cards.allSatisfy { $0.conflicts.isEmpty }, "the conflict is resolved everywhere")
        check(cards[0].values["credit.downPayment"] == .money(minorUnits: 37_500_000, currency: "RUB"), "the agreed down payment stands")
        check(cards[0].values["tradeIn.appraisedValue"] == .money(minorUnits: 61_000_000, currency: "RUB"), "the offline appraisal arrived")
        check(cards[2].values["staff.benefitsMenu"] != nil && cards[3].values["staff.notes"] != nil, "staff see the staff card")
        check(cards[0].documents == [.shared] && cards[1].documents == [.shared]
              && cards[0].values.keys.allSatisfy { !$0.hasPrefix("staff.") },
              "the buyer's web and kiosk never received the staff card")
        for store in [web, kiosk, tablet, pc] { check(try await store.outboxCount() == 0, "\(store.identity.device) has nothing left to send") }

        say("The card as Ivan sees it on the kiosk:")
        terminal.write(CardText(view: try await CardView.load(deal, from: kiosk), terminal: terminal).render())
        for store in [web, kiosk, tablet, pc] { await store.close() }
    }
}
