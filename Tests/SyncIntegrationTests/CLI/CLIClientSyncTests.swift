import DealCardKit
import Foundation
import RelayTestSupport
import SyncCore
import Testing

/// The `sync`, `status`, `watch`, `init` (asking the relay) and `demo` commands, run as the
/// built binary against a real relay on a loopback port.
@Suite("sync-client against a relay", .serialized)
struct CLIClientSyncTests {
    @Test func initAsksTheRelayAndTwoDevicesSyncToTheSameCard() async throws {
        let harness = try SyncHarness()
        let folder = try CLIClientFolder()
        let buyerToken = try harness.token("ivan", .buyer, device: "ivan-web")
        let salesToken = try harness.token("olga", .sales)
        let web = folder.store("web")
        let pc = folder.store("pc")
        let created = try await folder.succeed(["init", "--store", web, "--server", harness.url, "--token", buyerToken, "--channel", "web"])
        #expect(created.contains("ivan (buyer)"))
        #expect(created.contains("ivan-web"), "the device bound to the token is used")
        try await folder.succeed(["init", "--store", pc, "--server", harness.url, "--token", salesToken, "--channel", "pc"])
        let deal = try await folder.succeed(["deal", "new", "--store", web, "--set", "vehicle.model=Camry"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let synced = try await folder.succeed(["sync", "--store", web])
        #expect(synced.contains("pushed 1 of 1 (1 accepted)"), "\(synced)")
        try await folder.succeed(["sync", "--store", pc])
        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 330 000", "--store", pc])
        try await folder.succeed(["sync", "--store", pc])
        try await folder.succeed(["sync", "--store", web])
        let webJSON = try await folder.succeed(["deal", "show", deal, "--json", "--store", web])
        let pcJSON = try await folder.succeed(["deal", "show", deal, "--json", "--store", pc])
        #expect(webJSON.contains("233000000"))
        // The buyer's card has no staff document; the shared values agree.
        #expect(try sharedValues(webJSON) == sharedValues(pcJSON))
        let status = try await folder.succeed(["status", "--json", "--store", web])
        #expect(status.contains("\"online\":true") && status.contains("\"outbox\":0"), "\(status)")
        await harness.stop()
    }

    /// `status` reports the first sync's window and what it left on the relay; `deal fetch`
    /// gets such a deal and says what became of the request; `sync --closed-deal-days` is checked.
    @Test func statusShowsTheFirstSyncWindowAndDealFetchGetsAnOlderDeal() async throws {
        let harness = try SyncHarness()
        let maker = try harness.device("olga", .sales, channel: .pc, clock: { DeviceStore.now() - 90 * 86_400_000 })
        let old = try await maker.store.createDeal(values: ["vehicle.model": .text("Old"), "status.state": .enumCase("won")])
        try await maker.session.sync()
        await maker.store.close()
        let folder = try CLIClientFolder()
        let store = folder.store("pc")
        try await folder.succeed(["init", "--store", store, "--server", harness.url, "--token", try harness.token("olga", .sales), "--channel", "pc"])
        let refused = try await folder.run(["sync", "--store", store, "--closed-deal-days", "-3"])
        #expect(refused.status == 64 && refused.stderr.contains("--closed-deal-days must be within 0…36500"), "\(refused)")
        try await folder.succeed(["sync", "--store", store])
        let status = try await folder.succeed(["status", "--store", store])
        #expect(status.contains("closed within 30 days of the first sync; 1 older closed deal left on the relay"), "\(status)")
        let json = try await folder.succeed(["status", "--json", "--store", store])
        #expect(json.contains("\"firstSync\":{\"archivedDeals\":1,\"closedDealDays\":30}"), "\(json)")
        #expect(try await folder.succeed(["deal", "list", "--store", store]).contains(old.rawValue) == false)
        let fetched = try await folder.succeed(["deal", "fetch", old.rawValue, "--store", store])
        #expect(fetched.contains("Fetched \(old)"), "\(fetched)")
        #expect(try await folder.succeed(["deal", "show", old.rawValue, "--store", store]).contains("Old"))
        let unknown = try await folder.run(["deal", "fetch", "d-nosuchdeal1", "--store", store])
        #expect(unknown.status == 1 && unknown.stderr.contains("the relay has no deal d-nosuchdeal1 for this device"), "\(unknown)")
        await harness.stop()
    }

    /// `deal conflicts` marks the value a field shows: the first of a conflicting value, none
    /// of a collaborative text's concurrent texts (they are shown joined).
    @Test func conflictsMarkTheShownValueAndNoneOfAJoinedText() async throws {
        let harness = try SyncHarness()
        let folder = try CLIClientFolder()
        let olga = folder.store("olga")
        let boss = folder.store("boss")
        try await folder.succeed(["init", "--store", olga, "--server", harness.url, "--token", try harness.token("olga", .sales), "--channel", "pc"])
        try await folder.succeed(["init", "--store", boss, "--server", harness.url, "--token", try harness.token("petr", .sales), "--channel", "tablet"])
        let deal = try await folder.succeed(["deal", "new", "--set", "vehicle.model=Camry", "--store", olga]).trimmingCharacters(in: .newlines)
        try await folder.succeed(["sync", "--store", olga])
        try await folder.succeed(["sync", "--store", boss])
        // Offline, both make their first staff edits: two texts for the notes, two prices.
        try await folder.succeed(["deal", "set", deal, "staff.notes", "call back Monday", "--store", olga])
        try await folder.succeed(["deal", "set", deal, "staff.notes", "trade-in first", "--store", boss])
        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 330 000", "--store", olga])
        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 300 000", "--store", boss])
        for store in [olga, boss, olga] { try await folder.succeed(["sync", "--store", store]) }
        let text = try await folder.succeed(["deal", "conflicts", deal, "--store", olga])
        let lines = text.split(separator: "\n").map(String.init)
        let notes = try #require(lines.firstIndex { $0.contains("staff.notes") }, "\(text)")
        #expect(lines[notes].contains("shown joined"), "\(text)")
        #expect(!lines[notes + 1].contains("▸") && !lines[notes + 2].contains("▸"), "\(text)")
        let price = try #require(lines.firstIndex { $0.contains("vehicle.price") }, "\(text)")
        #expect(lines[price + 1].contains("▸") && !lines[price + 2].contains("▸"), "\(text)")
        // Resolving the notes with the text they show already ends their conflict.
        let shown = try await folder.succeed(["deal", "show", deal, "--json", "--store", olga])
        let joined = try #require(["call back Monday\ntrade-in first", "trade-in first\ncall back Monday"].first { shown.contains($0.replacingOccurrences(of: "\n", with: "\\n")) }, "\(shown)")
        try await folder.succeed(["deal", "resolve", deal, "staff.notes", joined, "--store", olga])
        let after = try await folder.succeed(["deal", "conflicts", deal, "--store", olga])
        #expect(!after.contains("staff.notes") && after.contains("vehicle.price"), "\(after)")
        #expect(try await folder.succeed(["deal", "show", deal, "--json", "--store", olga]).contains(joined.replacingOccurrences(of: "\n", with: "\\n")))
        await harness.stop()
    }

    @Test func initRefusesFlagsThatDisagreeWithTheRelay() async throws {
        let harness = try SyncHarness()
        let folder = try CLIClientFolder()
        let token = try harness.token("ivan", .buyer)
        let result = try await folder.run(["init", "--store", folder.store("x"), "--server", harness.url, "--token", token,
                                           "--channel", "web", "--role", "sales"])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("'--role sales' disagrees with the relay"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: folder.store("x") + "/store.sqlite"))
        await harness.stop()
    }

    @Test func anUnreachableRelayKeepsTheEditAndSaysSo() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("kiosk", user: "ivan", role: .buyer, channel: .kiosk)
        let deal = try await folder.succeed(["deal", "new", "--store", store]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await folder.succeed(["deal", "set", deal, "vehicle.model", "RAV4", "--store", store])
        let result = try await folder.run(["sync", "--store", store])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("relay unreachable"), "\(result)")
        #expect(result.stderr.contains("2 local changes wait in the outbox"), "\(result)")
        let shown = try await folder.succeed(["deal", "show", deal, "--store", store])
        #expect(shown.contains("RAV4"))
        let status = try await folder.succeed(["status", "--store", store])
        #expect(status.contains("offline"), "\(status)")
        #expect(status.contains("2 changes waiting"), "\(status)")
    }

    @Test func watchPrintsARemoteChangeAsItArrives() async throws {
        let harness = try SyncHarness()
        let folder = try CLIClientFolder()
        let pcToken = try harness.token("olga", .sales)
        let tabletToken = try harness.token("petr", .appraiser)
        let pc = folder.store("pc")
        let tablet = folder.store("tablet")
        try await folder.succeed(["init", "--store", pc, "--server", harness.url, "--token", pcToken, "--channel", "pc"])
        try await folder.succeed(["init", "--store", tablet, "--server", harness.url, "--token", tabletToken, "--channel", "tablet"])
        let deal = try await folder.succeed(["deal", "new", "--store", pc]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await folder.succeed(["sync", "--store", pc])
        try await folder.succeed(["sync", "--store", tablet])
        let watcher = try folder.start(["watch", deal, "--count", "1", "--seconds", "30", "--store", pc])
        // Give the watcher time to open its long-poll, then edit on the tablet.
        try await Task.sleep(for: .milliseconds(700))
        try await folder.succeed(["deal", "set", deal, "tradeIn.appraisedValue", "610 000", "--store", tablet])
        try await folder.succeed(["sync", "--store", tablet])
        let result = try await watcher.finish()
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("tradeIn.appraisedValue = 610"), "\(result)")
        #expect(result.stdout.contains("petr (appraiser, tablet"), "\(result)")
        await harness.stop()
    }

    @Test func watchJSONPrintsOneObjectPerChange() async throws {
        let harness = try SyncHarness()
        let folder = try CLIClientFolder()
        let pc = folder.store("pc")
        let kiosk = folder.store("kiosk")
        try await folder.succeed(["init", "--store", pc, "--server", harness.url, "--token", try harness.token("olga", .sales), "--channel", "pc"])
        try await folder.succeed(["init", "--store", kiosk, "--server", harness.url, "--token", try harness.token("ivan", .buyer), "--channel", "kiosk"])
        let deal = try await folder.succeed(["deal", "new", "--store", kiosk]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await folder.succeed(["sync", "--store", kiosk])
        try await folder.succeed(["sync", "--store", pc])
        let watcher = try folder.start(["watch", "--json", "--count", "1", "--seconds", "30", "--store", kiosk])
        try await Task.sleep(for: .milliseconds(700))
        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 000 000", "--store", pc])
        try await folder.succeed(["sync", "--store", pc])
        let result = try await watcher.finish()
        #expect(result.status == 0, "\(result)")
        let line = try #require(result.stdout.split(separator: "\n").first)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["deal"] as? String == deal)
        #expect(object?["paths"] as? [String] == ["vehicle.price"])
        await harness.stop()
    }

    @Test func aMistypedStageSuggestsTheNearestOne() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("pc", user: "olga", role: .sales, channel: .pc)
        let deal = try await folder.succeed(["deal", "new", "--store", store]).trimmingCharacters(in: .whitespacesAndNewlines)
        let near = try await folder.run(["deal", "skip", deal, "credti", "--store", store])
        #expect(near.status == 64, "\(near)")
        #expect(near.stderr.contains("expected one of: vehicle, "), "\(near)")
        #expect(near.stderr.contains(". Did you mean 'credit'?"), "\(near)")
        let far = try await folder.run(["deal", "skip", deal, "xyzzy-nothing", "--store", store])
        #expect(far.stderr.contains("status, assessment."), "\(far)")
        #expect(!far.stderr.contains("Did you mean"), "\(far)")
    }

    @Test func theDemoKeepsEveryPromise() async throws {
        let folder = try CLIClientFolder()
        let result = try await folder.run(["demo"], environment: ["NO_COLOR": "1"])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Every promise held."), "\(result)")
        #expect(!result.stdout.contains("✗"), "\(result)")
    }

    /// The `values` of a `deal show --json` document without staff fields.
    private func sharedValues(_ json: String) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
        let values = object["values"] as? [String: Any] ?? [:]
        var result: [String: String] = [:]
        for (key, value) in values where !key.hasPrefix("staff.") {
            let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
            result[key] = String(decoding: data, as: UTF8.self)
        }
        return result
    }
}
