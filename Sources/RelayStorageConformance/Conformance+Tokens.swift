import DealCardKit
import Foundation
import SyncServer

extension RelayStorageConformance {
    static let tokenChecks: [Check] = [
        Check("a stored token is found by its hash", tokenIsFoundByItsHash),
        Check("a token is found by its hash written in upper case", tokenIsFoundByAnUpperCaseHash),
        Check("every field of a token round-trips", tokenFieldsRoundTrip),
        Check("revoked and expired tokens are still returned", revokedAndExpiredTokensAreReturned),
        Check("tokens are listed oldest first, then by id", tokensAreListedOldestFirst),
        Check("a token with a taken id or hash is refused as a duplicate", duplicateTokensAreRefused),
        Check("revoking a token twice is harmless", revokingTwiceIsHarmless),
        Check("revoking an unknown token is refused", revokingAnUnknownTokenIsRefused),
    ]

    static func tokenIsFoundByItsHash(_ storage: any RelayStorage) throws {
        let first = Fixture.token("tok_00000001", hash: Fixture.hash(1))
        let second = Fixture.token("tok_00000002", hash: Fixture.hash(2), user: "boris", role: .buyer)
        try storage.insertToken(first)
        try storage.insertToken(second)
        try expectEqual(try storage.token(forHash: Fixture.hash(1)), first, "token(forHash:) of the first token")
        try expectEqual(try storage.token(forHash: Fixture.hash(2)), second, "token(forHash:) of the second token")
        try expectEqual(try storage.token(forHash: Fixture.hash(3)), nil, "token(forHash:) of a hash never stored")
    }

    static func tokenIsFoundByAnUpperCaseHash(_ storage: any RelayStorage) throws {
        let token = Fixture.token("tok_00000001", hash: "00ff" + Fixture.hash(1).dropFirst(4))
        try storage.insertToken(token)
        try expectEqual(try storage.token(forHash: token.storedHash.uppercased()), token, "token(forHash:) of the upper-cased hash")
    }

    static func tokenFieldsRoundTrip(_ storage: any RelayStorage) throws {
        let device = Fixture.token("tok_00000001", hash: Fixture.hash(1), role: .finance, device: "tablet-3", deal: "d1",
                                   createdAt: Fixture.now, expiresAt: Fixture.now + 3_600)
        let relay = Fixture.token("tok_00000002", hash: Fixture.hash(2), user: "showroom", role: .head, device: nil, deal: nil,
                                  createdAt: Fixture.now + 1, relay: true)
        try storage.insertToken(device)
        try storage.insertToken(relay)
        try expectEqual(try storage.tokens(), [device, relay], "tokens() of a device token and a relay token")
        try expectEqual(try storage.token(forHash: relay.storedHash), relay, "token(forHash:) of the relay token")
    }

    static func revokedAndExpiredTokensAreReturned(_ storage: any RelayStorage) throws {
        let revoked = Fixture.token("tok_00000001", hash: Fixture.hash(1), revoked: true)
        let expired = Fixture.token("tok_00000002", hash: Fixture.hash(2), createdAt: Fixture.now - 7_200, expiresAt: Fixture.now - 3_600)
        try storage.insertToken(revoked)
        try storage.insertToken(expired)
        try expectEqual(try storage.token(forHash: revoked.storedHash), revoked, "token(forHash:) of a revoked token")
        try expectEqual(try storage.token(forHash: expired.storedHash), expired, "token(forHash:) of an expired token")
        try expectEqual(try storage.tokens().map(\.id), [expired.id, revoked.id], "tokens() with a revoked and an expired one")
    }

    static func tokensAreListedOldestFirst(_ storage: any RelayStorage) throws {
        // Inserted newest first; two of the same time, whose ids decide.
        let newest = Fixture.token("tok_00000001", hash: Fixture.hash(1), createdAt: Fixture.now + 10)
        let sameTimeLaterID = Fixture.token("tok_0000000c", hash: Fixture.hash(2), createdAt: Fixture.now)
        let sameTimeEarlierID = Fixture.token("tok_0000000b", hash: Fixture.hash(3), createdAt: Fixture.now)
        let oneMillisecondEarlier = Fixture.token("tok_0000000f", hash: Fixture.hash(4), createdAt: Fixture.now - 0.001)
        for token in [newest, sameTimeLaterID, sameTimeEarlierID, oneMillisecondEarlier] { try storage.insertToken(token) }
        try expectEqual(try storage.tokens().map(\.id), ["tok_0000000f", "tok_0000000b", "tok_0000000c", "tok_00000001"],
                        "tokens() order (created_at, then id)")
    }

    static func duplicateTokensAreRefused(_ storage: any RelayStorage) throws {
        let token = Fixture.token("tok_00000001", hash: Fixture.hash(1))
        try storage.insertToken(token)
        let sameID = Fixture.token("tok_00000001", hash: Fixture.hash(2), user: "boris")
        try expectError(.duplicateToken(id: "tok_00000001"), "insertToken of a taken id") { try storage.insertToken(sameID) }
        let sameHash = Fixture.token("tok_00000002", hash: Fixture.hash(1), user: "boris")
        try expectError(.duplicateToken(id: "tok_00000002"), "insertToken of a taken hash") { try storage.insertToken(sameHash) }
        try expectEqual(try storage.tokens(), [token], "tokens() after two refused duplicates")
        try expectEqual(try storage.token(forHash: Fixture.hash(2)), nil, "token(forHash:) of the refused token's hash")
    }

    static func revokingTwiceIsHarmless(_ storage: any RelayStorage) throws {
        let token = Fixture.token("tok_00000001", hash: Fixture.hash(1))
        let other = Fixture.token("tok_00000002", hash: Fixture.hash(2), createdAt: Fixture.now + 1)
        try storage.insertToken(token)
        try storage.insertToken(other)
        try storage.revokeToken(id: token.id)
        try storage.revokeToken(id: token.id)
        try expectEqual(try storage.token(forHash: token.storedHash)?.isRevoked, true, "isRevoked of the token revoked twice")
        try expectEqual(try storage.tokens().map(\.isRevoked), [true, false], "isRevoked of both tokens")
        var revoked = token
        revoked.isRevoked = true
        try expectEqual(try storage.token(forHash: token.storedHash), revoked, "the revoked token, its other fields unchanged")
    }

    static func revokingAnUnknownTokenIsRefused(_ storage: any RelayStorage) throws {
        try storage.insertToken(Fixture.token("tok_00000001", hash: Fixture.hash(1)))
        try expectError(.unknownToken(id: "tok_nope"), "revokeToken of an id never issued") { try storage.revokeToken(id: "tok_nope") }
        try expectEqual(try storage.tokens().map(\.isRevoked), [false], "isRevoked of the other token")
    }
}
