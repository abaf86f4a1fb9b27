/// Base64 with the URL- and filename-safe alphabet of RFC 4648 section 5, without padding.
///
/// Tokens encoded this way survive URLs, headers, shells and file names unescaped.
public enum Base64URL {
    /// The 64 symbols, in value order.
    public static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// `bytes` as unpadded base64url: 4 symbols per 3 bytes, ⌈4n/3⌉ in all.
    public static func encode(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = []
        text.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let available = min(3, bytes.count - index)
            var group: UInt32 = 0
            for offset in 0..<3 {
                group = group << 8 | UInt32(offset < available ? bytes[index + offset] : 0)
            }
            for symbol in 0..<(available + 1) {
                text.append(alphabet[Int(group >> UInt32(18 - 6 * symbol) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of unpadded base64url `text`, or nil when it is not canonical: a symbol outside
    /// the alphabet, padding, an impossible length (4k + 1), or non-zero unused trailing bits.
    public static func decode(_ text: String) -> [UInt8]? {
        let symbols = Array(text.utf8)
        guard symbols.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(symbols.count * 3 / 4)
        var index = 0
        while index < symbols.count {
            let available = min(4, symbols.count - index)
            var group: UInt32 = 0
            for offset in 0..<4 {
                var value: UInt32 = 0
                if offset < available {
                    guard let decoded = Self.value(of: symbols[index + offset]) else { return nil }
                    value = decoded
                }
                group = group << 6 | value
            }
            let byteCount = available - 1
            // Canonical form: the bits below the last whole byte must be zero.
            let unusedBits = UInt32(24 - 8 * byteCount)
            guard group & ((1 << unusedBits) - 1) == 0 else { return nil }
            for offset in 0..<byteCount {
                bytes.append(UInt8(truncatingIfNeeded: group >> UInt32(16 - 8 * offset)))
            }
            index += 4
        }
        return bytes
    }

    private static func value(of symbol: UInt8) -> UInt32? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(symbol - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(symbol - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(symbol - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"): 62
        case UInt8(ascii: "_"): 63
        default: nil
        }
    }
}
