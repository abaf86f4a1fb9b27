import Foundation
import SyncCore

extension SQLiteRelayStorage {
    public func idempotentResponse(key: String) throws -> StoredResponse? {
        try database.query("SELECT status, body FROM idempotency_key WHERE key = ?", [.text(key)]) { row in
            StoredResponse(status: Int(row.int64(at: 0)), body: row.blob(at: 1))
        }.first
    }

    public func storeIdempotentResponse(key: String, response: StoredResponse, at date: Date) throws {
        try database.execute(
            "INSERT INTO idempotency_key(key, status, body, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO NOTHING",
            arguments: [.text(key), .integer(Int64(response.status)), .blob(response.body), .milliseconds(date)])
    }
}
