import Foundation
import CanonicalJSON
import HTTP1
import SyncServer
import Testing
import TestSupport

/// Bearer-token authentication: each way a token can fail has its own code and message.
@Suite("Relay authentication")
struct RelayAuthenticationTests {
    static let now = RelayFixtures.now

    func authenticate(_ header: String?, _ records: [TokenRecord], at now: Date = now) -> Result<TokenRecord, RelayError> {
        RelayAuthenticator.authenticate(authorization: header, now: now) { hash in
            records.first { $0.storedHash == hash }
        }
    }

    func code(_ result: Result<TokenRecord, RelayError>) -> RelayError.Code? {
        if case .failure(let error) = result { return error.code }
        return nil
    }

    @Test func acceptsAValidToken() throws {
        let (secret, record) = RelayFixtures.token()
        #expect(try authenticate("Bearer \(secret.text)", [record]).get() == record)
        #expect(try authenticate("bearer   \(secret.text)", [record]).get() == record)
    }

    @Test func refusesEachKindOfBadTokenDistinctly() throws {
        let (secret, record) = RelayFixtures.token()
        let (revokedSecret, revoked) = RelayFixtures.token(id: "tok_00000002", revoked: true)
        let (expiredSecret, expired) = RelayFixtures.token(id: "tok_00000003", expiresIn: 60)
        let records = [record, revoked, expired]
        let results: [(String?, RelayError.Code)] = [
            (nil, .missingToken),
            ("", .missingToken),
            ("Basic YW5uYTpzZWNyZXQ=", .invalidToken),
            ("Bearer", .invalidToken),
            ("Bearer not-a-token", .invalidToken),
            ("Bearer \(SecretToken.generate().text)", .invalidToken),
            ("Bearer \(revokedSecret.text)", .revokedToken),
            ("Bearer \(expiredSecret.text)", .expiredToken),
        ]
        var messages: Set<String> = []
        for (header, expected) in results {
            let result = authenticate(header, records, at: Self.now + 60)
            #expect(code(result) == expected, "header \(header ?? "nil")")
            if case .failure(let error) = result {
                #expect(error.status == .unauthorized)
                messages.insert(error.message)
            }
        }
        // One message each for: missing, not 'Bearer <token>', not a token's shape, unknown, revoked, expired.
        #expect(messages.count == 6)
        // Still valid one second before its expiry.
        #expect(code(authenticate("Bearer \(expiredSecret.text)", records, at: Self.now + 59)) == nil)
        #expect(code(authenticate("Bearer \(secret.text)", records, at: Self.now + 60)) == nil)
    }

    @Test func aFailingStoreIsUnavailableNotUnauthorized() {
        struct Broken: Error {}
        let result = RelayAuthenticator.authenticate(authorization: "Bearer \(SecretToken.generate().text)", now: Self.now) { _ in
            throw Broken()
        }
        #expect(code(result) == .unavailable)
    }

    @Test func errorResponsesAreJSONWithTheCode() throws {
        let response = RelayError(.expiredToken, "token tok_1 expired").response
        #expect(response.status == .unauthorized)
        #expect(response.headers["Content-Type"] == "application/json")
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="sync", error="invalid_token""#)
        guard case .bytes(let body) = response.body else {
            Issue.record("expected a byte body")
            return
        }
        #expect(try SchemaJSON(parsing: body) == .object([
            "error": .object(["code": .string("expired_token"), "message": .string("token tok_1 expired")])
        ]))
        #expect(RelayError.Code.allCases.map(\.rawValue).allSatisfy { !$0.isEmpty && $0 == $0.lowercased() })
    }

    @Test func relayAuthenticatesAgainstItsStorage() async throws {
        let directory = try TemporaryDirectory()
        let storage = try SQLiteRelayStorage(directory: directory.path)
        let (secret, record) = RelayFixtures.token(expiresIn: 10 * 365 * 86_400)
        try storage.insertToken(record)
        let relay = Relay(storage: storage)
        let request = try HTTPRequest(method: "GET", target: "/v1/sync", headers: ["Authorization": "Bearer \(secret.text)"])
        #expect(try await relay.authenticate(request).get() == record)
        let anonymous = try HTTPRequest(method: "GET", target: "/v1/sync")
        #expect(code(await relay.authenticate(anonymous)) == .missingToken)
        await relay.close()
        #expect(code(await relay.authenticate(request)) == .unavailable)
    }
}
