@testable import DealCardKit
@testable import SyncCore
@testable import SyncServer
import Foundation
import Testing
import TestSupport

/// A dealer group's schema file: the relay serves it, devices load it at `init` and keep it,
/// and both sides apply its fields and rules.
@Suite("Dealer group schema files", .serialized)
struct CLIClientSchemaTests {
    static let file = Array("""
        {"version": 1, "name": "north-group", "fields": [
          {"path": "vehicle.warrantyYears", "type": "integer", "stage": "vehicle", "writers": ["buyer", "sales"], "title": "Extended warranty, years"}
        ]}
        """.utf8)

    @Test func devicesLoadTheRelaysSchemaAndBothSidesApplyIt() async throws {
        let folder = try CLIClientFolder()
        let schema = try DealSchema(extending: .standard, file: Self.file)
        let server = try RelayServer(configuration: .init(dataDirectory: folder.store("relay"), port: 0, schema: schema), log: .discarding)
        let url = try server.start()
        let kioskToken = try TokenCommands.issue(.init(dataDirectory: folder.store("relay"), user: "ivan", role: "buyer", dealership: "north")).secret.text
        let pcToken = try TokenCommands.issue(.init(dataDirectory: folder.store("relay"), user: "olga", role: "sales", dealership: "north")).secret.text
        let kiosk = folder.store("kiosk")
        let pc = folder.store("pc")
        let created = try await folder.succeed(["init", "--store", kiosk, "--server", url, "--token", kioskToken, "--channel", "kiosk"])
        #expect(created.contains("north-group (from the relay)"), "\(created)")
        try await folder.succeed(["init", "--store", pc, "--server", url, "--token", pcToken, "--channel", "pc"])
        let deal = try await folder.succeed(["deal", "new", "--store", kiosk]).trimmingCharacters(in: .whitespacesAndNewlines)
        try await folder.succeed(["deal", "set", deal, "vehicle.warrantyYears", "3", "--store", kiosk])
        let synced = try await folder.succeed(["sync", "--store", kiosk])
        #expect(!synced.contains("Refused"), "\(synced)")
        try await folder.succeed(["sync", "--store", pc])
        let shown = try await folder.succeed(["deal", "show", deal, "--json", "--store", pc])
        #expect(shown.contains("\"vehicle.warrantyYears\":3"), "\(shown)")
        await server.stop()
    }

    @Test func aStoreKeepsTheSchemaItWasCreatedWith() async throws {
        let folder = try TemporaryDirectory()
        let schema = try DealSchema(extending: .standard, file: Self.file)
        do {
            let store = try DeviceStore(creatingAt: folder.path, identity: testIdentity("olga", .sales, replica: 0xE1), schema: schema)
            let deal = try await store.createDeal(values: ["vehicle.warrantyYears": .integer(5)])
            #expect(try await store.card(deal).values["vehicle.warrantyYears"] == .integer(5))
            await store.close()
        }
        let reopened = try DeviceStore(openingAt: folder.path)
        #expect(reopened.schema == schema)
    }

    @Test func aBrokenSchemaFileIsRefusedWithItsPlace() async throws {
        let folder = try CLIClientFolder()
        let file = folder.store("broken.json")
        try Data(#"{"version": 1, "fields": [{"path": "vehicle.x", "type": "mony", "stage": "vehicle", "writers": ["sales"]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let result = try await folder.run(["init", "--store", folder.store("d"), "--server", "http://127.0.0.1:9", "--token", "t",
                                           "--channel", "pc", "--user", "olga", "--role", "sales", "--dealership", "north", "--schema", file])
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("fields[0].type"), "\(result)")
    }
}
