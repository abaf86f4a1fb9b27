/// A cursor over untrusted bytes that tells a truncated input (``DecodeError/incomplete(offset:)``)
/// from a malformed one (``DecodeError/invalid(offset:reason:)``).
///
/// No read allocates more than the bytes that remain: lengths and counts are checked
/// against the remainder before anything is reserved.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }
    var isAtEnd: Bool { offset >= end }

    func invalid(_ reason: String) -> DecodeError { .invalid(offset: offset, reason: reason) }

    mutating func byte() throws(DecodeError) -> UInt8 {
        guard offset < end else { throw .incomplete(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Unsigned LEB128, at most 10 bytes, in its shortest form (a trailing zero byte or a
    /// value past 64 bits is refused, so every value has exactly one encoding).
    mutating func uleb() throws(DecodeError) -> UInt64 {
        // Most values fit in one byte.
        if offset < end, bytes[offset] < 0x80 {
            offset += 1
            return UInt64(bytes[offset - 1])
        }
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            let payload = UInt64(next & 0x7F)
            if shift == 63 && payload > 1 { throw DecodeError.invalid(offset: start, reason: "LEB128 value exceeds 64 bits") }
            result |= payload << shift
            if next & 0x80 == 0 {
                if next == 0 && offset - start > 1 {
                    throw DecodeError.invalid(offset: start, reason: "over-long LEB128 (trailing zero byte)")
                }
                return result
            }
            shift += 7
            if shift > 63 { throw DecodeError.invalid(offset: start, reason: "LEB128 longer than 10 bytes") }
        }
    }

    /// An unsigned LEB128 that must fit in `0...limit`; `what` names it in the error.
    mutating func uleb(max limit: Int, _ what: String) throws(DecodeError) -> Int {
        let start = offset
        let value = try uleb()
        guard limit >= 0 else { throw DecodeError.invalid(offset: start, reason: "\(what) \(value), but the table it indexes is empty") }
        guard value <= UInt64(limit) else {
            throw DecodeError.invalid(offset: start, reason: "\(what) \(value) exceeds \(limit)")
        }
        return Int(value)
    }

    /// A count of items that each take at least one byte: it cannot exceed what remains.
    mutating func count(_ what: String) throws(DecodeError) -> Int {
        let start = offset
        let value = try uleb()
        guard value <= UInt64(remaining) else {
            if offset >= end { throw DecodeError.incomplete(offset: end) }
            throw DecodeError.invalid(offset: start, reason: "\(what) count \(value) is larger than the \(remaining) bytes left")
        }
        return Int(value)
    }

    mutating func sleb() throws(DecodeError) -> Int64 {
        let raw = try uleb()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func uint64LE() throws(DecodeError) -> UInt64 {
        guard remaining >= 8 else { throw .incomplete(offset: end) }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << UInt64(8 * index) }
        offset += 8
        return value
    }

    mutating func uint32LE() throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { throw .incomplete(offset: end) }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << UInt32(8 * index) }
        offset += 4
        return value
    }

    /// A LEB128 length and that many bytes.
    mutating func lengthPrefixed() throws(DecodeError) -> ArraySlice<UInt8> {
        let start = offset
        let length = try uleb()
        guard length <= UInt64(remaining) else {
            _ = start
            throw DecodeError.incomplete(offset: end)
        }
        let slice = bytes[offset..<offset + Int(length)]
        offset += Int(length)
        return slice
    }

    /// A LEB128 length and that many bytes of valid UTF-8.
    mutating func string() throws(DecodeError) -> String {
        let start = offset
        let slice = try lengthPrefixed()
        guard let value = String(validating: slice, as: UTF8.self) else {
            throw DecodeError.invalid(offset: start, reason: "string is not valid UTF-8")
        }
        return value
    }
}
