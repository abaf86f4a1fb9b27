#if PostgreSQL
/// The rows a statement returned, copied out of libpq's result (text format: what the
/// server prints for each value), with typed readers that refuse what does not fit.
public struct PostgresResult: Sendable {
    /// The column names, in order.
    public let columns: [String]
    /// Each row's values as the server wrote them; nil is NULL.
    public let rows: [[[UInt8]?]]
    /// For INSERT, UPDATE, DELETE: how many rows it touched (`PQcmdTuples`); 0 otherwise.
    public let affectedRows: Int

    public var count: Int { rows.count }

    /// One row, read by column index.
    public struct Row: Sendable {
        let values: [[UInt8]?]
        public let columns: [String]

        public func isNull(_ column: Int) -> Bool { values[column] == nil }

        /// The value as text.
        /// - Throws: ``PostgresError/Kind/decoding`` for NULL or bytes that are not UTF-8.
        public func string(_ column: Int) throws(PostgresError) -> String {
            let raw = try present(column)
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw PostgresError(.decoding, "column \(columns[column]) is not UTF-8 text")
            }
            return text
        }

        /// An integer column (`int2`, `int4`, `int8`, or numeric text without a fraction).
        public func int64(_ column: Int) throws(PostgresError) -> Int64 {
            let text = try string(column)
            guard let value = Int64(text) else { throw PostgresError(.decoding, "column \(columns[column]) is \"\(text)\", not an integer") }
            return value
        }

        public func bool(_ column: Int) throws(PostgresError) -> Bool {
            switch try string(column) {
            case "t": return true
            case "f": return false
            case let other: throw PostgresError(.decoding, "column \(columns[column]) is \"\(other)\", not a boolean")
            }
        }

        /// A `bytea` column (the server's hex output, `\x0a1b…`).
        public func bytes(_ column: Int) throws(PostgresError) -> [UInt8] {
            let raw = try present(column)
            guard raw.count >= 2, raw[0] == UInt8(ascii: "\\"), raw[1] == UInt8(ascii: "x"), raw.count % 2 == 0 else {
                throw PostgresError(.decoding, "column \(columns[column]) is not bytea in hex output")
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity((raw.count - 2) / 2)
            var index = 2
            while index < raw.count {
                guard let high = Self.hexDigit(raw[index]), let low = Self.hexDigit(raw[index + 1]) else {
                    throw PostgresError(.decoding, "column \(columns[column]) has a character that is not a hex digit")
                }
                bytes.append(high << 4 | low)
                index += 2
            }
            return bytes
        }

        private func present(_ column: Int) throws(PostgresError) -> [UInt8] {
            guard column >= 0 && column < values.count else {
                throw PostgresError(.misuse, "column \(column) of a row of \(values.count)")
            }
            guard let raw = values[column] else { throw PostgresError(.decoding, "column \(columns[column]) is NULL") }
            return raw
        }

        private static func hexDigit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
    }

    public subscript(row: Int) -> Row { Row(values: rows[row], columns: columns) }

    /// Every row, in order.
    public var allRows: [Row] { rows.map { Row(values: $0, columns: columns) } }
}
#endif
