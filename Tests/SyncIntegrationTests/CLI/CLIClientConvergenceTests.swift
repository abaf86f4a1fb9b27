import Foundation
import Testing

/// Two devices edited through the CLI, their changes exchanged in-process: conflicts are
/// shown with their authors, resolved, and both devices print the same `--json` bytes.
@Suite("sync-client convergence")
struct CLIClientConvergenceTests {
    @Test func concurrentPricesConflictResolveAndPrintTheSameJSON() async throws {
        let folder = try CLIClientFolder()
        let olga = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let ivan = try await folder.initStore("ivan", user: "ivan", role: .sales, channel: .tablet)
        let deal = try await folder.succeed(["deal", "new", "--set", "vehicle.model=Camry", "--store", olga]).trimmingCharacters(in: .newlines)
        try await folder.succeed(["deal", "add", deal, "vehicle.accessories", #"{"title":"Mats","quantity":2}"#, "--store", olga])
        try await cliClientExchange(olga, ivan)

        // Both set the price without having seen the other's edit.
        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 330 000", "--store", olga])
        try await folder.succeed(["deal", "set", deal, "vehicle.price", "2 300 000", "--store", ivan])
        try await folder.succeed(["deal", "say", deal, "Price agreed?", "--store", ivan])
        try await folder.succeed(["deal", "set", deal, "staff.margin", "120 000", "--store", ivan])
        try await cliClientExchange(olga, ivan)
        try await cliClientExchange(ivan, olga)

        let olgaJSON = try await folder.succeed(["deal", "show", deal, "--json", "--store", olga])
        let ivanJSON = try await folder.succeed(["deal", "show", deal, "--json", "--store", ivan])
        #expect(olgaJSON == ivanJSON)
        #expect(try await folder.succeed(["deal", "list", "--json", "--store", olga]) == (try await folder.succeed(["deal", "list", "--json", "--store", ivan])))
        #expect(try await folder.succeed(["deal", "history", deal, "--json", "--store", olga]) == (try await folder.succeed(["deal", "history", deal, "--json", "--store", ivan])))

        let card = try #require(try JSONSerialization.jsonObject(with: Data(olgaJSON.utf8)) as? [String: Any])
        let conflicts = try #require(card["conflicts"] as? [String: [[String: Any]]])
        let price = try #require(conflicts["vehicle.price"])
        #expect(price.count == 2)
        let authors = Set(price.compactMap { ($0["author"] as? [String: Any])?["user"] as? String })
        #expect(authors == ["olga", "ivan"])
        let minorUnits = Set(price.compactMap { ($0["value"] as? [String: Any])?["minorUnits"] as? Int })
        #expect(minorUnits == [233_000_000, 230_000_000])
        #expect(olgaJSON.contains(#""channel":"tablet","device":"ivan-tablet","role":"sales""#))

        let human = try await folder.succeed(["deal", "conflicts", deal, "--store", olga])
        #expect(human.contains("vehicle.price  Price\n"))
        #expect(human.contains("olga (sales, pc, olga-pc)") && human.contains("ivan (sales, tablet, ivan-tablet)"))
        let show = try await folder.succeed(["deal", "show", deal, "--store", olga])
        #expect(show.contains("⚠ 1 conflict") && show.contains("⚠ 2 values"))

        let resolved = try await folder.run(["deal", "resolve", deal, "vehicle.price", "2 310 000", "--store", olga])
        #expect(resolved.status == 0 && resolved.stdout == "vehicle.price = 2\u{A0}310\u{A0}000\u{A0}₽\n" && resolved.stderr == "")
        try await cliClientExchange(olga, ivan)
        let after = try await folder.succeed(["deal", "show", deal, "--json", "--store", ivan])
        #expect(after == (try await folder.succeed(["deal", "show", deal, "--json", "--store", olga])))
        #expect(after.contains(#""conflicts":{}"#))
        #expect(after.contains(#""vehicle.price":{"currency":"RUB","minorUnits":231000000}"#))
        #expect(try await folder.succeed(["deal", "conflicts", deal, "--store", ivan]) == "No conflicts on deal \(deal).\n")
        #expect(try await folder.succeed(["deal", "conflicts", deal, "--json", "--store", ivan]) == "{}\n")

        let again = try await folder.run(["deal", "resolve", deal, "vehicle.price", "2 310 000", "--store", ivan])
        #expect(again.status == 0 && again.stderr == "note: vehicle.price had no conflict; the value was set\n")
    }

    @Test func aBuyerDeviceSeesTheSharedCardOnlyAndAgreesOnIt() async throws {
        let folder = try CLIClientFolder()
        let olga = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let anna = try await folder.initStore("anna", user: "anna", role: .buyer, channel: .web)
        let deal = try await folder.succeed(["deal", "new", "--set", "vehicle.model=Camry", "--set", "staff.margin=90 000", "--store", olga])
            .trimmingCharacters(in: .newlines)
        try await cliClientExchange(olga, anna)
        try await folder.succeed(["deal", "set", deal, "tradeIn.description", "Old Polo, 2015", "--store", anna])
        try await cliClientExchange(anna, olga)
        let buyerView = try await folder.succeed(["deal", "show", deal, "--json", "--store", anna])
        #expect(!buyerView.contains("staff"))
        #expect(buyerView.contains(#""tradeIn.description":"Old Polo, 2015""#))
        #expect(try await folder.succeed(["deal", "show", deal, "--json", "--store", olga]).contains(#""staff.margin""#))
        #expect(try await folder.succeed(["deal", "history", deal, "--store", olga]).contains("anna (buyer, web, anna-web)  tradeIn.description = Old Polo, 2015"))
    }
}
