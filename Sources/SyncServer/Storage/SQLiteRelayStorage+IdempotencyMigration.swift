import CanonicalJSON
import SQLiteKit

extension SQLiteRelayStorage {
    /// Rows copied per query while moving idempotency keys to their scoped table, so that a
    /// relay with years of keys migrates in bounded memory.
    static let idempotencyMigrationBatch = 1_000

    /// Migration step "idempotency_key: by dealership, user and key, with request digest".
    /// Shipped: never edit; add a later step instead.
    ///
    /// Before it, a stored answer was keyed by one string, `integration:<length of user in
    /// bytes>:<user>:<key>`: scoped by user but not by dealership, so connectors of two
    /// dealerships that were both called `crm` shared answers. After it, the dealership, the
    /// user and the key are columns of the primary key, and each answer keeps the digest of
    /// the request it answered.
    ///
    /// Existing rows are kept wherever their dealership can be known for certain: every
    /// stored answer names its deal, and that deal's dealership is the writer's (a create
    /// registers the deal in the token's dealership, an update needs a deal the token can
    /// see). They get no digest, so any request under such a key still gets its answer as
    /// before: a retry that spans the upgrade writes once, as it was promised. A row whose
    /// key or deal cannot be read is dropped rather than given to a guessed dealership
    /// (which is the bug this step fixes); a retry under it writes its values again as a
    /// second change, which leaves the card with the same values.
    static func scopeIdempotencyKeys(_ db: SQLiteDatabase) throws {
        try db.execute("""
            CREATE TABLE idempotency_key_scoped(
                dealership TEXT NOT NULL,
                user_name TEXT NOT NULL,
                key TEXT NOT NULL,
                request_digest BLOB,
                status INTEGER NOT NULL,
                body BLOB NOT NULL,
                stored_at INTEGER NOT NULL,
                PRIMARY KEY (dealership, user_name, key)
            ) STRICT
            """)
        var after: Int64 = 0
        while true {
            let rows = try db.query(
                "SELECT rowid, key, status, body, stored_at FROM idempotency_key WHERE rowid > ? ORDER BY rowid LIMIT ?",
                [.integer(after), .integer(Int64(idempotencyMigrationBatch))]
            ) { row in
                (rowid: row.int64(at: 0), key: row.string(at: 1), status: row.int64(at: 2), body: row.blob(at: 3),
                 storedAt: row.int64(at: 4))
            }
            guard let last = rows.last else { break }
            after = last.rowid
            for row in rows {
                guard let (user, key) = legacyIdempotencyKeyParts(row.key),
                      case .object(let answer)? = try? SchemaJSON(parsing: row.body), let deal = answer["deal"]?.stringValue,
                      let dealership = try db.scalar("SELECT dealership FROM deal WHERE id = ?", [.text(deal)])?.string
                else { continue }
                try db.execute(
                    """
                    INSERT INTO idempotency_key_scoped(dealership, user_name, key, request_digest, status, body, stored_at)
                    VALUES (?, ?, ?, NULL, ?, ?, ?) ON CONFLICT DO NOTHING
                    """,
                    arguments: [.text(dealership), .text(user), .text(key), .integer(row.status), .blob(row.body), .integer(row.storedAt)])
            }
        }
        try db.execute("""
            DROP TABLE idempotency_key;
            ALTER TABLE idempotency_key_scoped RENAME TO idempotency_key;
            """)
    }

    /// The user and the key of a key stored before the step above
    /// (`integration:<length of user in UTF-8 bytes>:<user>:<key>`), or nil.
    static func legacyIdempotencyKeyParts(_ stored: String) -> (user: String, key: String)? {
        let prefix = Array("integration:".utf8)
        let bytes = Array(stored.utf8)
        guard bytes.starts(with: prefix) else { return nil }
        var index = prefix.count
        var length = 0
        while index < bytes.count, let digit = bytes[index].wholeNumberDigit, length < 1_000 {
            length = length * 10 + digit
            index += 1
        }
        guard index > prefix.count, index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
        let userStart = index + 1
        let userEnd = userStart + length
        guard userEnd < bytes.count, bytes[userEnd] == UInt8(ascii: ":"), userEnd + 1 < bytes.count,
              let user = String(validating: bytes[userStart..<userEnd], as: UTF8.self),
              let key = String(validating: bytes[(userEnd + 1)...], as: UTF8.self)
        else { return nil }
        return (user, key)
    }
}

private extension UInt8 {
    /// The value of an ASCII decimal digit, or nil.
    var wholeNumberDigit: Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) ? Int(self - UInt8(ascii: "0")) : nil
    }
}
