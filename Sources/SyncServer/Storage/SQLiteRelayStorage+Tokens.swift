import DealCardKit
import SQLiteKit

extension SQLiteRelayStorage {
    static let tokenColumns =
        "id, hash, user_name, role, dealership, device, deal_id, created_at, expires_at, revoked, relay"

    public func insertToken(_ token: TokenRecord) throws {
        do {
            try database.execute(
                "INSERT INTO token(\(Self.tokenColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    .text(token.id), .text(token.storedHash), .text(token.user), .text(token.role.rawValue),
                    .text(token.dealership), .optionalText(token.device), .optionalText(token.deal),
                    .milliseconds(token.createdAt), .milliseconds(token.expiresAt), .integer(token.isRevoked ? 1 : 0),
                    .integer(token.isRelay ? 1 : 0),
                ])
        } catch SQLiteError.constraint {
            throw RelayStorageError.duplicateToken(id: token.id)
        }
    }

    public func token(forHash hash: String) throws -> TokenRecord? {
        try database.query("SELECT \(Self.tokenColumns) FROM token WHERE hash = ?", [.text(hash.lowercased())]) {
            try Self.tokenRecord($0)
        }.first
    }

    public func tokens() throws -> [TokenRecord] {
        try database.query("SELECT \(Self.tokenColumns) FROM token ORDER BY created_at, id") {
            try Self.tokenRecord($0)
        }
    }

    public func revokeToken(id: String) throws {
        try database.execute("UPDATE token SET revoked = 1 WHERE id = ?", arguments: [.text(id)])
        if database.changes == 0 {
            throw RelayStorageError.unknownToken(id: id)
        }
    }

    private static func tokenRecord(_ row: Statement) throws -> TokenRecord {
        TokenRecord(
            id: row.string(at: 0), storedHash: row.string(at: 1), user: row.string(at: 2),
            role: try row.decoded(Role.self, at: 3), dealership: row.string(at: 4),
            device: row.optionalString(at: 5), deal: row.optionalString(at: 6),
            createdAt: row.date(at: 7), expiresAt: row.date(at: 8), isRevoked: row.int64(at: 9) != 0,
            isRelay: row.int64(at: 10) != 0)
    }
}
