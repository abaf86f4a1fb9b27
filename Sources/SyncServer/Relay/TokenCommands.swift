import Foundation
import CanonicalJSON
import DealCardKit

/// The work behind `sync-server token issue | list | revoke`, as functions the tests call
/// directly; `main.swift` only parses the command line and prints.
///
/// The commands open the store without the relay's exclusive lock, so tokens can be issued
/// and revoked while the relay runs (a revocation takes effect on the next request).
public enum TokenCommands {
    /// The values of `token issue`.
    public struct IssueOptions: Sendable, Hashable {
        public var dataDirectory: String
        /// A shared PostgreSQL database instead of the data folder (`--postgres URL`).
        public var postgres: String?
        public var user: String
        public var role: String
        public var dealership: String
        public var device: String?
        public var deal: String?
        public var expires: String
        /// Issue a relay token: for a downstream relay that forwards its devices' changes.
        public var relay: Bool

        public init(
            dataDirectory: String = "./sync-data", user: String, role: String, dealership: String,
            device: String? = nil, deal: String? = nil, expires: String = TokenLifetime.default.text, relay: Bool = false,
            postgres: String? = nil
        ) {
            self.postgres = postgres
            self.relay = relay
            self.dataDirectory = dataDirectory
            self.user = user
            self.role = role
            self.dealership = dealership
            self.device = device
            self.deal = deal
            self.expires = expires
        }
    }

    /// A token just issued: the secret (shown once) and what was stored.
    public struct IssuedToken: Sendable {
        public var secret: SecretToken
        public var record: TokenRecord
    }

    /// Checks the options, then creates the data folder and store if needed and stores a new
    /// token. Nothing is written when an option is invalid.
    ///
    /// - Throws: ``TokenCommandError`` for a bad value; storage errors.
    public static func issue(_ options: IssueOptions, now: Date = Date()) throws -> IssuedToken {
        guard let role = Role(rawValue: options.role) else { throw TokenCommandError.invalidRole(options.role) }
        let lifetime = try TokenLifetime(parsing: options.expires)
        for (option, value) in [("--user <name>", options.user), ("--dealership <id>", options.dealership)]
        where value.allSatisfy(\.isWhitespace) {
            throw TokenCommandError.emptyValue(option: option)
        }
        let storage = try RelayStore(dataDirectory: options.dataDirectory, postgres: options.postgres).open(exclusive: false)
        defer { storage.close() }
        let secret = SecretToken.generate()
        var attempt = 0
        while true {
            let record = TokenRecord(
                id: TokenRecord.makeID(), storedHash: secret.storedHash, user: options.user, role: role,
                dealership: options.dealership, device: options.device, deal: options.deal,
                createdAt: now.roundedToStoredPrecision,
                expiresAt: now.addingTimeInterval(TimeInterval(lifetime.seconds)).roundedToStoredPrecision,
                isRelay: options.relay)
            do {
                try storage.insertToken(record)
                return IssuedToken(secret: secret, record: record)
            } catch RelayStorageError.duplicateToken where attempt < 3 {
                attempt += 1  // a 32-bit id collided: draw another
            }
        }
    }

    /// Every token in the store at `dataDirectory` (or in the database at `postgres`), oldest first.
    /// - Throws: ``RelayStorageError/storeNotFound(path:)`` when the folder holds no store.
    public static func list(dataDirectory: String, postgres: String? = nil) throws -> [TokenRecord] {
        let storage = try RelayStore(dataDirectory: dataDirectory, postgres: postgres).open(create: false, exclusive: false)
        defer { storage.close() }
        return try storage.tokens()
    }

    /// Revokes token `id` and returns its record.
    /// - Throws: ``RelayStorageError/unknownToken(id:)``, ``RelayStorageError/storeNotFound(path:)``.
    @discardableResult
    public static func revoke(dataDirectory: String, postgres: String? = nil, id: String) throws -> TokenRecord {
        let storage = try RelayStore(dataDirectory: dataDirectory, postgres: postgres).open(create: false, exclusive: false)
        defer { storage.close() }
        try storage.revokeToken(id: id)
        guard let record = try storage.tokens().first(where: { $0.id == id }) else {
            throw RelayStorageError.unknownToken(id: id)
        }
        return record
    }

    // MARK: Output

    /// The human line printed on standard error after issuing (the token itself goes alone
    /// to standard output).
    public static func issuedSummary(_ record: TokenRecord) -> String {
        var text = "issued \(record.id) for \(record.user) (\(record.role.rawValue)) at \(record.dealership)"
        if let device = record.device { text += ", device \(device)" }
        if let deal = record.deal { text += ", deal \(deal)" }
        return text + "; expires \(RelayTime.iso8601(record.expiresAt))\n"
    }

    /// An aligned table with a header row; `-` for an absent device or deal.
    public static func table(_ tokens: [TokenRecord], now: Date = Date()) -> String {
        guard !tokens.isEmpty else { return "No tokens. Issue one with 'sync-server token issue'.\n" }
        let header = ["ID", "USER", "ROLE", "DEALERSHIP", "DEVICE", "DEAL", "EXPIRES", "REVOKED"]
        let rows = tokens.map { token in
            [
                token.id, token.user, token.role.rawValue, token.dealership, token.device ?? "-", token.deal ?? "-",
                RelayTime.iso8601(token.expiresAt) + (token.isExpired(at: now) ? " (expired)" : ""),
                token.isRevoked ? "yes" : "no",
            ]
        }
        var widths = header.map(\.count)
        for row in rows {
            for (column, cell) in row.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        return ([header] + rows).map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[column] - cell.count)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    /// A JSON array, one object per token; never the hash.
    public static func json(_ tokens: [TokenRecord]) -> String {
        SchemaJSON.array(tokens.map { token in
            .object([
                "id": .string(token.id), "user": .string(token.user), "role": .string(token.role.rawValue),
                "dealership": .string(token.dealership), "device": token.device.map { .string($0) } ?? .null,
                "deal": token.deal.map { .string($0) } ?? .null,
                "created_at": .string(RelayTime.iso8601(token.createdAt)),
                "expires_at": .string(RelayTime.iso8601(token.expiresAt)), "revoked": .bool(token.isRevoked),
            ])
        }).canonicalText + "\n"
    }
}
