/// Appends primitive encodings to a byte buffer: LEB128 integers, fixed-width numbers,
/// length-prefixed strings and bytes.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    /// Unsigned LEB128: 7 bits a byte, low bits first, high bit set on all but the last.
    mutating func uleb(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    mutating func uleb(_ value: Int) { uleb(UInt64(value)) }

    /// Signed values as zigzag (0, -1, 1, -2 … → 0, 1, 2, 3 …) then unsigned LEB128.
    mutating func sleb(_ value: Int64) {
        uleb(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func uint64LE(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func uint32LE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// How many bytes ``uleb(_:)-(UInt64)`` writes for `value`.
    static func ulebSize(_ value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest > 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    /// How many bytes ``lengthPrefixed(_:)`` writes for `count` bytes.
    static func lengthPrefixedSize(_ count: Int) -> Int { ulebSize(UInt64(count)) + count }

    /// LEB128 length, then the bytes.
    mutating func lengthPrefixed(_ data: some Collection<UInt8>) {
        uleb(data.count)
        bytes.append(contentsOf: data)
    }

    /// LEB128 byte length, then UTF-8.
    mutating func string(_ value: String) { lengthPrefixed(Array(value.utf8)) }

    mutating func append(_ data: some Sequence<UInt8>) { bytes.append(contentsOf: data) }

    /// The scalars in UTF-8, with no length.
    mutating func appendUTF8(_ scalars: some Sequence<Unicode.Scalar>) { bytes.appendUTF8(scalars) }
}

extension Array where Element == UInt8 {
    /// Appends `scalars` in UTF-8 (ASCII a byte at a time; much faster than growing a
    /// `String.UnicodeScalarView`, which checks grapheme boundaries as it goes).
    mutating func appendUTF8(_ scalars: some Sequence<Unicode.Scalar>) {
        for scalar in scalars {
            if scalar.isASCII {
                append(UInt8(truncatingIfNeeded: scalar.value))
            } else {
                UTF8.encode(scalar) { append($0) }
            }
        }
    }
}
