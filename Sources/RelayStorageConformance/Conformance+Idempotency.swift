import Foundation
import SyncServer

extension RelayStorageConformance {
    static let idempotencyChecks: [Check] = [
        Check("no response is stored under a new key", noResponseUnderANewKey),
        Check("a stored response comes back with its status, body and digest", storedResponseRoundTrips),
        Check("the first response stored under a key is kept", firstResponseIsKept),
        Check("idempotency keys are kept apart by dealership and by user", keysAreScoped),
    ]

    static func noResponseUnderANewKey(_ storage: any RelayStorage) throws {
        try storage.storeIdempotentResponse(StoredResponse(status: 200, body: [1]), for: IdempotencyKey(dealership: "north", user: "crm", key: "a"),
                                            at: Fixture.now)
        try expectEqual(try storage.idempotentResponse(for: IdempotencyKey(dealership: "north", user: "crm", key: "b")), nil, "another key")
    }

    static func storedResponseRoundTrips(_ storage: any RelayStorage) throws {
        let withDigest = StoredResponse(status: 201, body: Array(#"{"ok":true}"#.utf8), requestDigest: Array(repeating: 0xAB, count: 32))
        let withoutDigest = StoredResponse(status: 204, body: [], requestDigest: nil)
        let first = IdempotencyKey(dealership: "north", user: "crm", key: "crm-1")
        let second = IdempotencyKey(dealership: "north", user: "crm", key: "crm-2")
        try storage.storeIdempotentResponse(withDigest, for: first, at: Fixture.now)
        try storage.storeIdempotentResponse(withoutDigest, for: second, at: Fixture.now)
        try expectEqual(try storage.idempotentResponse(for: first), withDigest, "the response with a digest")
        try expectEqual(try storage.idempotentResponse(for: second), withoutDigest, "the response without a digest, with an empty body")
    }

    static func firstResponseIsKept(_ storage: any RelayStorage) throws {
        let key = IdempotencyKey(dealership: "north", user: "crm", key: "crm-1")
        let first = StoredResponse(status: 201, body: [1], requestDigest: [1, 2, 3])
        try storage.storeIdempotentResponse(first, for: key, at: Fixture.now)
        try storage.storeIdempotentResponse(StoredResponse(status: 500, body: [2], requestDigest: [4]), for: key, at: Fixture.now + 1)
        try expectEqual(try storage.idempotentResponse(for: key), first, "the response after a second one was stored")
    }

    static func keysAreScoped(_ storage: any RelayStorage) throws {
        let north = IdempotencyKey(dealership: "north", user: "crm", key: "k")
        let south = IdempotencyKey(dealership: "south", user: "crm", key: "k")
        let dms = IdempotencyKey(dealership: "north", user: "dms", key: "k")
        let response = StoredResponse(status: 201, body: [1])
        try storage.storeIdempotentResponse(response, for: north, at: Fixture.now)
        try expectEqual(try storage.idempotentResponse(for: south), nil, "the same user and key in another dealership")
        try expectEqual(try storage.idempotentResponse(for: dms), nil, "the same key of another user")
        let southResponse = StoredResponse(status: 200, body: [2])
        try storage.storeIdempotentResponse(southResponse, for: south, at: Fixture.now)
        try storage.storeIdempotentResponse(StoredResponse(status: 202, body: [3]), for: dms, at: Fixture.now)
        try expectEqual(try storage.idempotentResponse(for: north), response, "north's crm response")
        try expectEqual(try storage.idempotentResponse(for: south), southResponse, "south's crm response")
        try expectEqual(try storage.idempotentResponse(for: dms)?.status, 202, "north's dms response")
    }
}
