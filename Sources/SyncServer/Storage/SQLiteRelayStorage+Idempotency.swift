import Foundation

extension SQLiteRelayStorage {
    public func idempotentResponse(for key: IdempotencyKey) throws -> StoredResponse? {
        try database.query(
            "SELECT status, body, request_digest FROM idempotency_key WHERE dealership = ? AND user_name = ? AND key = ?",
            [.text(key.dealership), .text(key.user), .text(key.key)]
        ) { row in
            var digest: [UInt8]?
            if case .blob(let bytes) = row.value(at: 2) { digest = bytes }
            return StoredResponse(status: Int(row.int64(at: 0)), body: row.blob(at: 1), requestDigest: digest)
        }.first
    }

    public func storeIdempotentResponse(_ response: StoredResponse, for key: IdempotencyKey, at date: Date) throws {
        try database.execute(
            """
            INSERT INTO idempotency_key(dealership, user_name, key, request_digest, status, body, stored_at)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dealership, user_name, key) DO NOTHING
            """,
            arguments: [.text(key.dealership), .text(key.user), .text(key.key), response.requestDigest.map { .blob($0) } ?? .null,
                        .integer(Int64(response.status)), .blob(response.body), .milliseconds(date)])
    }
}
