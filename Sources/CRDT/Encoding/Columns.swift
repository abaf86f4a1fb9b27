/// Writes one column of integers run-length coded, as snapshot version 2 stores its fields.
///
/// A column is a sequence of groups. Each group starts with a zigzag LEB128 header `n`:
/// `n > 0` means the one value that follows repeats `n` times; `n < 0` means `-n` values
/// follow, each written once (a literal group). Values are unsigned LEB128, or zigzag
/// LEB128 in a signed column. A run of two equal values is written as a run only when it
/// is not inside a literal group (two equal values cost the same either way).
///
/// The values are buffered and coded when ``finish()`` is called, so the writer can look
/// ahead for runs.
struct ColumnWriter {
    private var values: [UInt64] = []
    private let signed: Bool

    /// A column of unsigned values, or of signed values (their bit patterns) when `signed`.
    init(signed: Bool = false) {
        self.signed = signed
    }

    var count: Int { values.count }

    mutating func append(_ value: UInt64) { values.append(value) }
    mutating func append(_ value: Int) { values.append(UInt64(value)) }
    mutating func append(signed value: Int64) { values.append(UInt64(bitPattern: value)) }
    mutating func append(_ flag: Bool) { values.append(flag ? 1 : 0) }

    /// The coded column.
    func finish() -> [UInt8] {
        var writer = ByteWriter()
        var literals: [UInt64] = []
        func flushLiterals() {
            guard !literals.isEmpty else { return }
            writer.sleb(-Int64(literals.count))
            for value in literals { write(value, to: &writer) }
            literals.removeAll(keepingCapacity: true)
        }
        var index = 0
        while index < values.count {
            let value = values[index]
            var end = index + 1
            while end < values.count && values[end] == value { end += 1 }
            let length = end - index
            if length >= 3 || (length == 2 && literals.isEmpty) {
                flushLiterals()
                writer.sleb(Int64(length))
                write(value, to: &writer)
            } else {
                literals.append(contentsOf: repeatElement(value, count: length))
            }
            index = end
        }
        flushLiterals()
        return writer.bytes
    }

    private func write(_ value: UInt64, to writer: inout ByteWriter) {
        if signed { writer.sleb(Int64(bitPattern: value)) } else { writer.uleb(value) }
    }
}

/// Reads a column that ``ColumnWriter`` wrote, refusing malformed groups and values out of
/// the range the caller asks for. `name` says which column in every error.
struct ColumnReader {
    private var reader: ByteReader
    private let signed: Bool
    let name: String
    /// Values left in the current group; for a run, the value repeated.
    private var left = 0
    private var isRun = false
    private var runValue: UInt64 = 0

    init(_ reader: ByteReader, name: String, signed: Bool = false) {
        self.reader = reader
        self.name = name
        self.signed = signed
    }

    /// The next raw value (a bit pattern in a signed column).
    mutating func next() throws(DecodeError) -> UInt64 {
        if left > 0 && isRun {
            left -= 1
            return runValue
        }
        if left == 0 {
            let start = reader.offset
            guard !reader.isAtEnd else {
                throw DecodeError.invalid(offset: start, reason: "column \(name) ends before its last value")
            }
            let header = try reader.sleb()
            guard header != 0 else { throw DecodeError.invalid(offset: start, reason: "column \(name): an empty group") }
            // A group cannot hold more values than bytes remain (each literal takes a byte)
            // unless it is a run; a run's length is bounded by what the caller reads.
            if header > 0 {
                guard header <= Int64(Int32.max) else {
                    throw DecodeError.invalid(offset: start, reason: "column \(name): a run of \(header) values")
                }
                isRun = true
                left = Int(header)
                runValue = try raw()
            } else {
                guard header.magnitude <= UInt64(reader.remaining) else {
                    throw DecodeError.invalid(offset: start, reason: "column \(name): \(header.magnitude) literal values in \(reader.remaining) bytes")
                }
                isRun = false
                left = Int(header.magnitude)
            }
        }
        left -= 1
        return isRun ? runValue : try raw()
    }

    private mutating func raw() throws(DecodeError) -> UInt64 {
        signed ? UInt64(bitPattern: try reader.sleb()) : try reader.uleb()
    }

    /// The next value, which must lie in `0...limit`; `what` names it in the error.
    mutating func next(max limit: Int, _ what: String) throws(DecodeError) -> Int {
        let value = try next()
        // A limit of -1 is an empty table (no actors, strings, metadata): nothing may index it.
        guard limit >= 0 else {
            throw DecodeError.invalid(offset: reader.offset, reason: "column \(name): \(what) \(value), but the table it indexes is empty")
        }
        guard value <= UInt64(limit) else {
            throw DecodeError.invalid(offset: reader.offset, reason: "column \(name): \(what) \(value) exceeds \(limit)")
        }
        return Int(value)
    }

    /// The next value of a signed column.
    mutating func nextSigned() throws(DecodeError) -> Int64 { Int64(bitPattern: try next()) }

    /// The next value of a 0/1 column.
    mutating func nextFlag(_ what: String) throws(DecodeError) -> Bool {
        try next(max: 1, what) == 1
    }

    /// Refuses values left over: a column holds exactly the values its fields need.
    func finish() throws(DecodeError) {
        guard left == 0 && reader.isAtEnd else {
            throw DecodeError.invalid(offset: reader.offset, reason: "column \(name) holds more values than the snapshot uses")
        }
    }

    func invalid(_ reason: String) -> DecodeError { .invalid(offset: reader.offset, reason: "column \(name): \(reason)") }
}
