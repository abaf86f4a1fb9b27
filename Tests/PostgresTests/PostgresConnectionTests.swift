#if PostgreSQL
import Foundation
@testable import PostgresKit
import Testing

/// PostgresKit against a real PostgreSQL server (a cluster started for the suite): values
/// round-trip exactly, parameters are never SQL, refusals carry their SQLSTATE,
/// transactions commit or roll back whole, notifications cross connections, and a lost or
/// misused connection says so.
@Suite("PostgreSQL client (libpq)", .postgresCluster, .serialized)
struct PostgresConnectionTests {
    private func connect() async throws -> PostgresConnection {
        try PostgresConnection(try await PostgresCluster.running().freshDatabase())
    }

    @Test func everyValueRoundTripsThroughParameters() async throws {
        let db = try await connect()
        try db.execute("CREATE TABLE t (s text, i bigint, b boolean, d bytea, n text)")
        let everyByte = (0...255).map(UInt8.init)
        let text = "Camry 'XLE' \"white\" — ёлка 🚗 \\ %"
        try db.execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5)",
                       [.text(text), .int(.min), .bool(true), .bytes(everyByte), .null])
        try db.execute("INSERT INTO t VALUES ($1, $2, $3, $4, $5)", [.text(""), .int(.max), .bool(false), .bytes([]), .null])
        let rows = try db.execute("SELECT s, i, b, d, n FROM t ORDER BY i")
        #expect(rows.columns == ["s", "i", "b", "d", "n"])
        #expect(rows.count == 2)
        #expect(try rows[0].string(0) == text)
        #expect(try rows[0].int64(1) == .min)
        #expect(try rows[0].bool(2) == true)
        #expect(try rows[0].bytes(3) == everyByte)
        #expect(rows[0].isNull(4))
        #expect(try rows[1].string(0) == "")
        #expect(try rows[1].int64(1) == .max)
        #expect(try rows[1].bool(2) == false)
        #expect(try rows[1].bytes(3) == [])
    }

    @Test func aParameterIsNeverSQL() async throws {
        let db = try await connect()
        try db.execute("CREATE TABLE deal (id text PRIMARY KEY)")
        let hostile = "x'); DROP TABLE deal; --"
        try db.execute("INSERT INTO deal VALUES ($1)", [.text(hostile)])
        let rows = try db.execute("SELECT id FROM deal")
        #expect(try rows.allRows.map { try $0.string(0) } == [hostile])
    }

    @Test func aRefusedStatementCarriesItsSQLState() async throws {
        let db = try await connect()
        try db.execute("CREATE TABLE change_log (deal text, replica bigint, seq bigint, UNIQUE (deal, replica, seq))")
        try db.execute("INSERT INTO change_log VALUES ('d-1', 7, 1)")
        let refusal = #expect(throws: PostgresError.self) { try db.execute("INSERT INTO change_log VALUES ('d-1', 7, 1)") }
        #expect(refusal?.kind == .statement)
        #expect(refusal?.isUniqueViolation == true, "\(String(describing: refusal))")
        #expect(refusal?.message.contains("duplicate key") == true)
        let syntax = #expect(throws: PostgresError.self) { try db.execute("SELEKT 1") }
        #expect(syntax?.sqlState == "42601")
        // The connection is still usable after a refusal.
        #expect(try db.execute("SELECT count(*) FROM change_log")[0].int64(0) == 1)
        let affected = try db.execute("UPDATE change_log SET seq = seq + 1")
        #expect(affected.affectedRows == 1)
    }

    @Test func aTransactionCommitsWholeOrNotAtAll() async throws {
        let db = try await connect()
        try db.execute("CREATE TABLE log (position bigint PRIMARY KEY)")
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO log VALUES (1)")
                throw Stop()
            }
        }
        #expect(try db.execute("SELECT count(*) FROM log")[0].int64(0) == 0)
        try db.transaction { tx in
            try tx.execute("INSERT INTO log VALUES (1)")
            try tx.execute("INSERT INTO log VALUES (2)")
        }
        #expect(try db.execute("SELECT count(*) FROM log")[0].int64(0) == 2)
        // A statement refused inside rolls the whole transaction back.
        #expect(throws: PostgresError.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO log VALUES (3)")
                try tx.execute("INSERT INTO log VALUES (1)")
            }
        }
        #expect(try db.execute("SELECT max(position) FROM log")[0].int64(0) == 2)
    }

    @Test func aNotificationReachesAnotherConnection() async throws {
        let connectionString = try await PostgresCluster.running().freshDatabase()
        let listener = try PostgresConnection(connectionString)
        let sender = try PostgresConnection(connectionString)
        try listener.listen("relay_commits")
        #expect(try listener.nextNotification(timeout: .milliseconds(50)) == nil)
        // Sent inside a transaction: delivered at the commit, not before.
        try sender.transaction { tx in
            try tx.notify("relay_commits", "north 42")
            #expect(try listener.nextNotification(timeout: .milliseconds(50)) == nil)
        }
        let notification = try listener.nextNotification(timeout: .seconds(10))
        #expect(notification?.channel == "relay_commits")
        #expect(notification?.payload == "north 42")
        #expect((notification?.senderPID ?? 0) > 0)
        #expect(throws: PostgresError.self) { try listener.listen("Robert'); DROP") }
    }

    @Test func aConnectionThatCannotBeMadeSaysWhy() async throws {
        let missing = #expect(throws: PostgresError.self) {
            try PostgresConnection("host=/nonexistent-folder port=5432 user=postgres dbname=postgres connect_timeout=2")
        }
        #expect(missing?.kind == .connection)
        #expect(missing?.message.contains("/nonexistent-folder") == true, "\(String(describing: missing))")
        let cluster = try PostgresCluster.running()
        let noDatabase = #expect(throws: PostgresError.self) {
            try PostgresConnection(cluster.connectionString.replacingOccurrences(of: "dbname=postgres", with: "dbname=no_such_db"))
        }
        #expect(noDatabase?.message.contains("no_such_db") == true, "\(String(describing: noDatabase))")
    }

    @Test func aLostConnectionSaysSoAndAClosedOneToo() async throws {
        let connectionString = try await PostgresCluster.running().freshDatabase()
        let victim = try PostgresConnection(connectionString)
        let admin = try PostgresConnection(connectionString)
        let pid = try victim.execute("SELECT pg_backend_pid()")[0].int64(0)
        try admin.execute("SELECT pg_terminate_backend($1::int)", [.int(pid)])
        let lost = #expect(throws: PostgresError.self) { try victim.execute("SELECT 1") }
        #expect(lost?.kind == .connection, "\(String(describing: lost))")
        admin.close()
        let closed = #expect(throws: PostgresError.self) { try admin.execute("SELECT 1") }
        #expect(closed?.kind == .misuse)
    }

    @Test func misuseIsRefusedBeforeAnythingIsSent() async throws {
        let db = try await connect()
        let many = [PostgresValue](repeating: .int(1), count: PostgresConnection.maximumParameters + 1)
        #expect(throws: PostgresError.self) { try db.execute("SELECT 1", many) }
        let nul = #expect(throws: PostgresError.self) { try db.execute("SELECT $1::text", [.text("a\u{0}b")]) }
        #expect(nul?.kind == .misuse)
        let row = try db.execute("SELECT NULL::text, 'seven'::text")[0]
        #expect((#expect(throws: PostgresError.self) { try row.string(0) })?.kind == .decoding)
        #expect((#expect(throws: PostgresError.self) { try row.int64(1) })?.kind == .decoding)
        #expect((#expect(throws: PostgresError.self) { try row.bytes(1) })?.kind == .decoding)
    }
}
#endif
