import Foundation
import CanonicalJSON
import SyncServer
import Testing
import TestSupport

/// The functions behind `sync-server token issue | list | revoke`.
@Suite("Token commands")
struct TokenCommandsTests {
    @Test func issueListRevoke() throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("sync-data")
        let options = TokenCommands.IssueOptions(
            dataDirectory: data, user: "anna", role: "sales", dealership: "north", device: "pc-1", expires: "12h")
        let issued = try TokenCommands.issue(options, now: RelayFixtures.now)
        #expect(issued.record.storedHash == issued.secret.storedHash)
        #expect(issued.record.expiresAt == RelayFixtures.now + 12 * 3600)
        #expect(issued.record.id.hasPrefix("tok_"))
        let buyer = try TokenCommands.issue(
            .init(dataDirectory: data, user: "boris", role: "buyer", dealership: "north", deal: "d-42"), now: RelayFixtures.now + 1)
        #expect(buyer.record.expiresAt == RelayFixtures.now + 1 + 30 * 86_400)

        #expect(try TokenCommands.list(dataDirectory: data) == [issued.record, buyer.record])
        let revoked = try TokenCommands.revoke(dataDirectory: data, id: issued.record.id)
        #expect(revoked.isRevoked)
        #expect(try TokenCommands.list(dataDirectory: data).map(\.isRevoked) == [true, false])
        #expect(throws: RelayStorageError.unknownToken(id: "tok_00000000")) {
            try TokenCommands.revoke(dataDirectory: data, id: "tok_00000000")
        }
        // The secret is never stored.
        let file = try contentsOfFile(data + "/relay.sqlite")
        #expect(!String(decoding: file, as: UTF8.self).contains(issued.secret.text))
    }

    @Test func tokenCommandsWorkWhileTheRelayHoldsTheStore() throws {
        let directory = try TemporaryDirectory()
        let relayStorage = try SQLiteRelayStorage(directory: directory.path)
        let issued = try TokenCommands.issue(.init(dataDirectory: directory.path, user: "anna", role: "head", dealership: "north"))
        // The running relay sees the new token at once, and its revocation.
        #expect(try relayStorage.token(forHash: issued.secret.storedHash)?.id == issued.record.id)
        try TokenCommands.revoke(dataDirectory: directory.path, id: issued.record.id)
        #expect(try relayStorage.token(forHash: issued.secret.storedHash)?.isRevoked == true)
    }

    @Test func badValuesAreRefusedBeforeAnythingIsWritten() throws {
        let directory = try TemporaryDirectory()
        let data = directory.file("never-created")
        let cases: [(TokenCommands.IssueOptions, TokenCommandError)] = [
            (.init(dataDirectory: data, user: "a", role: "manager", dealership: "n"), .invalidRole("manager")),
            (.init(dataDirectory: data, user: "a", role: "sales", dealership: "n", expires: "3x"), .invalidLifetime("3x")),
            (.init(dataDirectory: data, user: " ", role: "sales", dealership: "n"), .emptyValue(option: "--user <name>")),
            (.init(dataDirectory: data, user: "a", role: "sales", dealership: ""), .emptyValue(option: "--dealership <id>")),
        ]
        for (options, expected) in cases {
            #expect(throws: expected) { try TokenCommands.issue(options) }
        }
        #expect(!FileManager.default.fileExists(atPath: data))
        #expect(throws: RelayStorageError.storeNotFound(path: data + "/relay.sqlite")) {
            try TokenCommands.list(dataDirectory: data)
        }
        #expect(!FileManager.default.fileExists(atPath: data))
    }

    @Test(arguments: [
        ("30d", 30 * 86_400), ("1d", 86_400), ("12h", 12 * 3_600), ("45m", 45 * 60), ("3660d", 3_660 * 86_400),
    ] as [(String, Int64)])
    func lifetimesParse(text: String, seconds: Int64) throws {
        #expect(try TokenLifetime(parsing: text).seconds == seconds)
    }

    @Test(arguments: ["", "d", "30", "0d", "-1d", "+1d", "1.5h", "30s", "30D", " 30d", "3661d", "99999999999999999d", "1dd"])
    func badLifetimesAreRefused(text: String) {
        #expect(throws: TokenCommandError.invalidLifetime(text)) { try TokenLifetime(parsing: text) }
    }

    @Test func tableAndJSONOutput() throws {
        let (_, anna) = RelayFixtures.token(id: "tok_0000abcd", user: "anna", role: .sales, device: "pc-1", expiresIn: 86_400)
        let (_, boris) = RelayFixtures.token(
            id: "tok_1234beef", user: "boris", role: .buyer, device: nil, deal: "d-42", expiresIn: 60, revoked: true)
        #expect(TokenCommands.table([anna, boris], now: RelayFixtures.now + 120) == """
            ID            USER   ROLE   DEALERSHIP  DEVICE  DEAL  EXPIRES                         REVOKED
            tok_0000abcd  anna   sales  north       pc-1    -     2025-06-16T15:06:40Z            no
            tok_1234beef  boris  buyer  north       -       d-42  2025-06-15T15:07:40Z (expired)  yes

            """)
        #expect(TokenCommands.table([]).hasPrefix("No tokens."))
        let json = try SchemaJSON(parsing: TokenCommands.json([boris]))
        #expect(json == .array([.object([
            "id": .string("tok_1234beef"), "user": .string("boris"), "role": .string("buyer"),
            "dealership": .string("north"), "device": .null, "deal": .string("d-42"),
            "created_at": .string("2025-06-15T15:06:40Z"), "expires_at": .string("2025-06-15T15:07:40Z"),
            "revoked": .bool(true),
        ])]))
        #expect(!TokenCommands.json([boris]).contains(boris.storedHash))
    }
}
