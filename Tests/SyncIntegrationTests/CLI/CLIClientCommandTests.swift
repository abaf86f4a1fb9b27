import Foundation
import SyncCore
import SyncProtocol
import Testing

/// The `sync-client` binary run as a subprocess: init, deal editing and reading, and its
/// errors. Each test has its own folder.
@Suite("sync-client commands")
struct CLIClientCommandTests {
    static let nbsp = "\u{00A0}"

    /// A parsed `--json` output.
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func initCreatesAStoreOfflineAndRefusesASecondOne() async throws {
        let folder = try CLIClientFolder()
        let out = try await folder.succeed(["init", "--store", folder.store("olga"), "--server", "http://127.0.0.1:9",
                                            "--token", "t", "--channel", "pc", "--user", "olga", "--role", "sales",
                                            "--dealership", "north"])
        #expect(out.contains("olga (sales) at dealership north"))
        let store = try DeviceStore(openingAt: folder.store("olga"))
        #expect(store.identity.user == "olga" && store.identity.role == .sales && store.identity.channel == .pc)
        #expect(store.identity.server == "http://127.0.0.1:9" && store.identity.token == "t")
        #expect(store.identity.device.hasPrefix("dev-"))
        await store.close()

        let again = try await folder.run(["init", "--store", folder.store("olga"), "--server", "http://relay", "--token", "t",
                                          "--channel", "pc", "--user", "olga", "--role", "sales", "--dealership", "north"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
    }

    @Test func initWithoutIdentityFlagsIsAUsageError() async throws {
        let folder = try CLIClientFolder()
        let result = try await folder.run(["init", "--store", folder.store("x"), "--server", "http://relay", "--token", "t",
                                           "--channel", "kiosk", "--user", "anna"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("error: missing '--role <role>', '--dealership <id>'"))
        #expect(result.stderr.contains("See 'sync-client init --help'"))
        let channel = try await folder.run(["init", "--store", folder.store("x"), "--server", "http://relay", "--token", "t",
                                            "--channel", "kiosks", "--user", "a", "--role", "buyer", "--dealership", "n"])
        #expect(channel.status == 64)
        #expect(channel.stderr.contains("invalid value 'kiosks' for '--channel <channel>'"))
        #expect(channel.stderr.contains("Did you mean 'kiosk'?"))
        #expect(!FileManager.default.fileExists(atPath: folder.store("x")))
    }

    @Test func newSetShowHumanAndJSON() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let id = try await folder.succeed(["deal", "new", "--store", store, "--set", "vehicle.model=Camry", "--set", "vehicle.price=2 330 000"])
        #expect(id.wholeMatch(of: /d-[a-z0-9]{12}\n/) != nil, "deal new prints the id alone: \(id)")
        let deal = String(id.dropLast())
        #expect(try await folder.succeed(["deal", "set", deal, "vehicle.trim", "Prestige", "--store", store]) == "vehicle.trim = Prestige\n")
        try await folder.succeed(["deal", "set", deal, "vehicle.color", "White", "--store", store])
        try await folder.succeed(["deal", "set", deal, "credit.termMonths", "36", "--store", store])

        let human = try await folder.succeed(["deal", "show", deal, "--store", store])
        let n = Self.nbsp
        #expect(human == """
            Deal \(deal)  ·  26% complete (5 of 19 required fields)

            ✓ Vehicle  last edit on pc
                Model                  Camry
                Trim                   Prestige
                Color                  White
                Price                  2\(n)330\(n)000\(n)₽

            · Trade-in

            … Credit  last edit on pc
                Credit amount          —
                Term, months           36
                Down payment           —
                Applications to banks  —

            · Insurance

            · Benefits

            · Payment

            · Delivery

            · Documents

            · Conversation

            · Deal status

            """)

        let card = try json(try await folder.succeed(["deal", "show", deal, "--json", "--store", store]))
        let values = try #require(card["values"] as? [String: Any])
        let price = try #require(values["vehicle.price"] as? [String: Any])
        #expect(price["currency"] as? String == "RUB" && price["minorUnits"] as? Int == 233_000_000)
        #expect(values["credit.termMonths"] as? Int == 36)
        #expect(card["id"] as? String == deal)
        let stages = try #require(card["stages"] as? [[String: Any]])
        #expect(stages.first?["status"] as? String == "done" && stages.first?["lastChannel"] as? String == "pc")
        let completeness = try #require(card["completeness"] as? [String: Any])
        #expect(completeness["filled"] as? Int == 5)

        let list = try await folder.succeed(["deal", "list", "--json", "--store", store])
        #expect(list.contains("\"id\":\"\(deal)\",\"model\":\"Camry\",\"price\":{\"currency\":\"RUB\",\"minorUnits\":233000000}"))
        let table = try await folder.succeed(["deal", "list", "--store", store])
        #expect(table.hasPrefix("DEAL            MODEL  PRICE        DONE  STAGES      CONFLICTS\n\(deal)  Camry  2\(n)330\(n)000\(n)₽  26%   ✓·…·······\n\nStages in order: vehicle, tradeIn,"))
    }

    @Test func storeComesFromTheEnvironment() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let deal = try await folder.succeed(["deal", "new"], environment: ["SYNC_CLIENT_STORE": store]).trimmingCharacters(in: .newlines)
        #expect(try await folder.succeed(["deal", "list", "--json"], environment: ["SYNC_CLIENT_STORE": store]).contains(deal))
        // Without --store or the variable: ./.sync-client in the working folder, which has none.
        let missing = try await folder.run(["deal", "list"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "error: no device store at ./.sync-client; create one first (sync-client init)\n")
    }

    @Test func listsMessagesHistoryAndStages() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let deal = try await folder.succeed(["deal", "new", "--store", store]).trimmingCharacters(in: .newlines)
        #expect(try await folder.succeed(["deal", "add", deal, "vehicle.accessories", #"{"title":"Mats","quantity":2,"price":"15 000"}"#, "--store", store])
                == "added vehicle.accessories[0]\n")
        try await folder.succeed(["deal", "add", deal, "vehicle.accessories", #"{"title":"Net","price":{"minorUnits":150000,"currency":"RUB"}}"#, "--store", store])
        try await folder.succeed(["deal", "say", deal, "The car is ready", "--store", store])
        var show = try await folder.succeed(["deal", "show", deal, "--store", store])
        #expect(show.contains("Accessories  [0] Accessory: Mats · Quantity: 2 · Price: 15\(Self.nbsp)000\(Self.nbsp)₽\n"))
        #expect(show.contains("[1] Accessory: Net · Price: 1\(Self.nbsp)500\(Self.nbsp)₽\n"))
        #expect(show.contains("[0] olga: The car is ready\n"))

        #expect(try await folder.succeed(["deal", "remove", deal, "vehicle.accessories", "0", "--store", store]) == "removed vehicle.accessories[0]\n")
        show = try await folder.succeed(["deal", "show", deal, "--store", store])
        #expect(show.contains("Accessories  [0] Accessory: Net"))
        #expect(!show.contains("Mats"))
        let outOfRange = try await folder.run(["deal", "remove", deal, "vehicle.accessories", "4", "--store", store])
        #expect(outOfRange.status == 1)
        #expect(outOfRange.stderr == "error: vehicle.accessories has 1 record; there is no record at index 4\n")
        let badRecord = try await folder.run(["deal", "add", deal, "vehicle.accessories", #"{"title":"X","colour":"red"}"#, "--store", store])
        #expect(badRecord.status == 1)
        #expect(badRecord.stderr.contains("vehicle.accessories.colour: expected one of the sub-fields title, quantity, price"))
        let badJSON = try await folder.run(["deal", "add", deal, "vehicle.accessories", "{title", "--store", store])
        #expect(badJSON.status == 64)
        #expect(badJSON.stderr.hasPrefix("error: invalid value for '<json>': invalid JSON at byte 1"))

        #expect(try await folder.succeed(["deal", "skip", deal, "tradeIn", "--store", store]) == "tradeIn skipped\n")
        #expect(try await folder.succeed(["deal", "show", deal, "--store", store]).contains("– Trade-in (skipped)  last edit on pc\n"))
        try await folder.succeed(["deal", "resume", deal, "tradeIn", "--store", store])
        #expect(try await folder.succeed(["deal", "show", deal, "--store", store]).contains("· Trade-in\n"))
        let badStage = try await folder.run(["deal", "skip", deal, "tradein", "--store", store])
        #expect(badStage.status == 64)
        #expect(badStage.stderr.contains("Did you mean 'tradeIn'?"))

        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 330 000", "--store", store])
        let history = try await folder.succeed(["deal", "history", deal, "--store", store])
        let lines = history.split(separator: "\n")
        #expect(lines.last?.wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d  olga \(sales, pc, olga-pc\)  vehicle\.price = 2\u{A0}330\u{A0}000\u{A0}₽/) != nil, "\(history)")
        #expect(history.contains("stage tradeIn skipped"))
        let historyJSON = try #require(try JSONSerialization.jsonObject(with: Data(try await folder.succeed(["deal", "history", deal, "--json", "--store", store]).utf8)) as? [[String: Any]])
        let author = try #require(historyJSON.last?["author"] as? [String: Any])
        #expect(author["user"] as? String == "olga" && author["channel"] as? String == "pc" && author["role"] as? String == "sales")
        #expect(historyJSON.last?["edits"] as? [String] == ["vehicle.price = 2\(Self.nbsp)330\(Self.nbsp)000\(Self.nbsp)₽"])
    }

    @Test(arguments: [
        (["deal", "show"], "error: missing expected argument '<deal>'\nUsage: sync-client deal show [--store <dir>] [--json] <deal>\n  See 'sync-client deal show --help' for more information.\n"),
        (["deal", "show", "d-1", "--jsn"], "error: unknown option '--jsn'. Did you mean '--json'?\nUsage: sync-client deal show [--store <dir>] [--json] <deal>\n  See 'sync-client deal show --help' for more information.\n"),
        (["dael", "list"], "error: unknown command 'dael'. Did you mean 'deal'?\nUsage: sync-client <subcommand>\n  See 'sync-client --help' for more information.\n"),
        (["deal", "shwo", "d-1"], "error: unknown command 'shwo'. Did you mean 'show'?\nUsage: sync-client deal <subcommand>\n  See 'sync-client deal --help' for more information.\n"),
        (["deal", "show", "d 1"], "error: invalid value 'd 1' for '<deal>': a deal id uses only letters, digits, '-' and '_'\nUsage: sync-client deal show [--store <dir>] [--json] <deal>\n  See 'sync-client deal show --help' for more information.\n"),
        (["deal", "remove", "d-1", "vehicle.options", "first"], "error: invalid value 'first' for '<index>': expected Int\nUsage: sync-client deal remove [--store <dir>] <deal> <list> <index>\n  See 'sync-client deal remove --help' for more information.\n"),
        (["deal", "new", "--set", "vehicle.model"], "error: invalid value 'vehicle.model' for '--set <path=value>': expected PATH=VALUE, e.g. vehicle.model=Camry\nUsage: sync-client deal new [--store <dir>] [--set <path=value> ...]\n  See 'sync-client deal new --help' for more information.\n"),
    ])
    func usageErrorsExit64WithAHint(arguments: [String], message: String) async throws {
        let folder = try CLIClientFolder()
        let result = try await folder.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr == message)
        #expect(result.stdout == "")
    }

    @Test func unknownFieldsAndBadValuesExit1WithAClearMessage() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let deal = try await folder.succeed(["deal", "new", "--store", store]).trimmingCharacters(in: .newlines)
        let unknown = try await folder.run(["deal", "set", deal, "vehicle.prise", "1", "--store", store])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "error: unknown field vehicle.prise; did you mean vehicle.price?\n")
        let unknownList = try await folder.run(["deal", "add", deal, "vehicle.accesories", "{}", "--store", store])
        #expect(unknownList.stderr == "error: unknown field vehicle.accesories; did you mean vehicle.accessories?\n")
        let bad = try await folder.run(["deal", "set", deal, "credit.termMonths", "three", "--store", store])
        #expect(bad.status == 1)
        #expect(bad.stderr == "error: credit.termMonths: expected a whole number like \"36\", got \"three\"\n")
        let badNew = try await folder.run(["deal", "new", "--set", "vehicle.price=cheap", "--store", store])
        #expect(badNew.status == 1)
        #expect(badNew.stderr.hasPrefix("error: vehicle.price: expected an amount of RUB"))
        let noDeal = try await folder.run(["deal", "show", "d-nothere", "--store", store])
        #expect(noDeal.status == 1)
        #expect(noDeal.stderr.contains("no deal d-nothere in this store"))
        // Nothing of a refused deal is left behind.
        #expect(try await folder.succeed(["deal", "list", "--json", "--store", store]).components(separatedBy: "\"id\"").count == 2)
    }

    @Test func aBuyerIsRefusedAStaffFieldWithTheRoleAndFieldNamed() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("anna", user: "anna", role: .buyer, channel: .kiosk)
        let deal = try await folder.succeed(["deal", "new", "--set", "vehicle.model=Camry", "--store", store]).trimmingCharacters(in: .newlines)
        let refused = try await folder.run(["deal", "set", deal, "vehicle.price", "1 000 000", "--store", store])
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: role buyer may not write vehicle.price (writers: sales)\n")
        #expect(refused.stdout == "")
        let staff = try await folder.run(["deal", "set", deal, "staff.margin", "1", "--store", store])
        #expect(staff.status == 1)
        #expect(staff.stderr.contains("role buyer may not"))
        let card = try await folder.succeed(["deal", "show", deal, "--json", "--store", store])
        #expect(!card.contains("vehicle.price") && !card.contains("staff"))
        #expect(card.contains("\"documents\":[\"shared\"]"))
    }

    @Test func outputHasNoEscapeCodesWithoutATerminalOrWithNoColor() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let deal = try await folder.succeed(["deal", "new", "--set", "vehicle.model=Camry", "--store", store]).trimmingCharacters(in: .newlines)
        for environment in [[:], ["NO_COLOR": "1"]] {
            for command in [["deal", "show", deal], ["deal", "list"], ["deal", "history", deal], ["deal", "conflicts", deal]] {
                let output = try await folder.succeed(command + ["--store", store], environment: environment)
                #expect(!output.contains("\u{1B}"), "\(command) \(environment)")
            }
        }
    }

    @Test func versionIsTheCoreVersion() async throws {
        let folder = try CLIClientFolder()
        #expect(try await folder.succeed(["--version"]) == DealSyncVersion.string + "\n")
    }
}
