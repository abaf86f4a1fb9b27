#if PostgreSQL
import CLibPQ
import Glibc
import Synchronization

/// One connection to a PostgreSQL server, through libpq (PostgreSQL's own client library).
///
/// Statements are sent with their parameters apart (`PQexecParams`): a value is never
/// spliced into SQL. Calls are serialized by a lock, so the connection may be shared, but
/// it runs one statement at a time and each call blocks its thread until the server
/// answers: a server keeps one connection per concurrent user of the database.
///
/// A lost connection (the server stopped, the network went) makes every later call throw
/// ``PostgresError/Kind/connection``; make a new connection then. A connection is closed
/// when it is released.
public final class PostgresConnection: Sendable {
    /// libpq's protocol limit on parameters per statement.
    public static let maximumParameters = 65_535

    private let handle: Mutex<OpaquePointer?>
    /// What the connection was opened with, without the password, for messages.
    public let target: String

    /// Connects with a libpq connection string (`host=/tmp port=5432 dbname=relay` or a
    /// `postgresql://` URL).
    ///
    /// - Throws: ``PostgresError/Kind/connection`` with libpq's reason (no server there,
    ///   authentication refused, no such database).
    public init(_ connectionString: String) throws(PostgresError) {
        guard !connectionString.utf8.contains(0) else { throw PostgresError(.misuse, "the connection string holds a NUL byte") }
        let connection = PQconnectdb(connectionString)
        target = Self.describe(connection, fallback: connectionString)
        guard let connection, PQstatus(connection) == CONNECTION_OK else {
            let reason = connection.map { Self.errorMessage($0) } ?? "libpq could not allocate a connection"
            if let connection { PQfinish(connection) }
            throw PostgresError(.connection, "cannot connect to \(target): \(reason)")
        }
        handle = Mutex(connection)
    }

    deinit {
        handle.withLock { connection in
            if let connection { PQfinish(connection) }
            connection = nil
        }
    }

    /// Closes the connection now; later calls throw ``PostgresError/Kind/misuse``.
    public func close() {
        handle.withLock { connection in
            if let connection { PQfinish(connection) }
            connection = nil
        }
    }

    /// Runs one statement with `parameters` bound to `$1`, `$2`, … and returns its rows.
    ///
    /// - Throws: ``PostgresError/Kind/statement`` with the server's SQLSTATE when it refuses
    ///   it; ``PostgresError/Kind/connection`` when the connection is lost;
    ///   ``PostgresError/Kind/misuse`` for more than ``maximumParameters`` parameters or a
    ///   NUL byte in text (PostgreSQL's text cannot hold one).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws(PostgresError) -> PostgresResult {
        guard parameters.count <= Self.maximumParameters else {
            throw PostgresError(.misuse, "\(parameters.count) parameters; a statement takes at most \(Self.maximumParameters)", statement: sql)
        }
        guard !sql.utf8.contains(0) else { throw PostgresError(.misuse, "the statement holds a NUL byte", statement: sql) }
        for case .text(let text) in parameters where text.utf8.contains(0) {
            throw PostgresError(.misuse, "a text parameter holds a NUL byte, which PostgreSQL text cannot store", statement: sql)
        }
        let outcome: Result<PostgresResult, PostgresError> = handle.withLock { connection in
            guard let connection else { return .failure(PostgresError(.misuse, "the connection is closed", statement: sql)) }
            return Self.run(sql, parameters, on: connection)
        }
        return try outcome.get()
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws
    /// (the error is rethrown; a failed rollback on a lost connection is not reported over
    /// it).
    public func transaction<T>(isolation: String = "READ COMMITTED", _ body: (PostgresConnection) throws -> T) throws -> T {
        try execute("BEGIN ISOLATION LEVEL \(isolation)")
        let value: T
        do {
            value = try body(self)
        } catch {
            _ = try? execute("ROLLBACK")
            throw error
        }
        try execute("COMMIT")
        return value
    }

    /// A notification sent with `NOTIFY` (or `pg_notify`) on a channel this connection
    /// listens on.
    public struct Notification: Sendable, Equatable {
        public var channel: String
        public var payload: String
        /// The server process that sent it.
        public var senderPID: Int32
    }

    /// Starts listening on `channel` (a name of letters, digits and underscores).
    public func listen(_ channel: String) throws(PostgresError) {
        guard !channel.isEmpty, channel.utf8.count <= 63,
              channel.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) }) else {
            throw PostgresError(.misuse, "channel \"\(channel)\": use 1 to 63 lowercase letters, digits and underscores")
        }
        try execute("LISTEN \(channel)")
    }

    /// Sends `payload` to every connection listening on `channel`, when the current
    /// transaction commits (at once outside one).
    public func notify(_ channel: String, _ payload: String = "") throws(PostgresError) {
        try execute("SELECT pg_notify($1, $2)", [.text(channel), .text(payload)])
    }

    /// The next notification for a channel this connection listens on, waiting up to
    /// `timeout` for one; nil when none came.
    ///
    /// - Throws: ``PostgresError/Kind/connection`` when the connection is lost meanwhile.
    public func nextNotification(timeout: Duration) throws(PostgresError) -> Notification? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let outcome: Result<Notification?, PostgresError> = handle.withLock { connection in
                guard let connection else { return .failure(PostgresError(.misuse, "the connection is closed")) }
                guard PQconsumeInput(connection) == 1 else {
                    return .failure(PostgresError(.connection, "reading notifications from \(target): \(Self.errorMessage(connection))"))
                }
                guard let raw = PQnotifies(connection) else { return .success(nil) }
                defer { PQfreemem(raw) }
                let notice = raw.pointee
                return .success(Notification(channel: String(cString: notice.relname), payload: String(cString: notice.extra),
                                             senderPID: notice.be_pid))
            }
            if let notification = try outcome.get() { return notification }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            let socket = handle.withLock { connection in connection.map { PQsocket($0) } ?? -1 }
            guard socket >= 0 else { throw PostgresError(.connection, "the connection to \(target) has no socket") }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: max(1, left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000))
            _ = poll(&descriptor, 1, milliseconds)
        }
    }

    // MARK: libpq

    private static func run(_ sql: String, _ parameters: [PostgresValue], on connection: OpaquePointer) -> Result<PostgresResult, PostgresError> {
        var types: [UInt32] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        defer { for buffer in buffers { buffer?.deallocate() } }
        for parameter in parameters {
            types.append(parameter.typeOID)
            guard let (bytes, binary) = parameter.wire else {
                buffers.append(nil)
                lengths.append(0)
                formats.append(0)
                continue
            }
            // Text parameters end with a NUL (libpq reads them as C strings).
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                for (index, byte) in source.enumerated() { buffer[index] = CChar(bitPattern: byte) }
            }
            buffer[bytes.count] = 0
            buffers.append(buffer)
            lengths.append(Int32(bytes.count))
            formats.append(binary ? 1 : 0)
        }
        let values = buffers.map { UnsafePointer($0) }
        let result = PQexecParams(connection, sql, Int32(parameters.count), types, values, lengths, formats, 0)
        defer { PQclear(result) }
        guard let result else {
            return .failure(PostgresError(.connection, "no answer from the server: \(errorMessage(connection))", statement: sql))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return .success(copy(result))
        default:
            if PQstatus(connection) != CONNECTION_OK {
                return .failure(PostgresError(.connection, "the connection was lost: \(errorMessage(connection))", statement: sql))
            }
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
                ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines
            let detail = PQresultErrorField(result, Int32(UInt8(ascii: "D"))).map { ": " + String(cString: $0) } ?? ""
            return .failure(PostgresError(.statement, message + detail, sqlState: state, statement: sql))
        }
    }

    private static func copy(_ result: OpaquePointer) -> PostgresResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var rows: [[[UInt8]?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [[UInt8]?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                    continue
                }
                let length = Int(PQgetlength(result, Int32(row), Int32(column)))
                let start = PQgetvalue(result, Int32(row), Int32(column))!
                values.append(start.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) })
            }
            rows.append(values)
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return PostgresResult(columns: columns, rows: rows, affectedRows: affected)
    }

    private static func errorMessage(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingTrailingNewlines
    }

    /// host, port and database of a connection, or of a connection string that failed.
    private static func describe(_ connection: OpaquePointer?, fallback: String) -> String {
        guard let connection else { return "the server" }
        let host = PQhost(connection).map { String(cString: $0) } ?? "?"
        let port = PQport(connection).map { String(cString: $0) } ?? "?"
        let database = PQdb(connection).map { String(cString: $0) } ?? "?"
        return "database \(database) at \(host):\(port)"
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
#endif
