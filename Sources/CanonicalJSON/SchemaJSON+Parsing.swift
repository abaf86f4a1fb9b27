extension SchemaJSON {
    /// The deepest nesting of arrays and objects accepted; deeper input is refused
    /// rather than risking the stack on untrusted bytes.
    public static let maximumDepth = 64

    /// Parses one JSON value (RFC 8259) from UTF-8 bytes.
    ///
    /// Whitespace may surround the value; anything else after it is an error.
    /// Duplicate object keys are refused. Never traps on bad input.
    /// - Complexity: O(n) in the number of bytes.
    /// - Throws: ``SchemaJSONError`` with the byte offset of the first problem.
    public init<Bytes: Collection>(parsing bytes: Bytes) throws(SchemaJSONError)
    where Bytes.Element == UInt8 {
        var parser = JSONByteParser(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else {
            throw parser.error("unexpected \(parser.describeCurrent()) after the JSON value")
        }
        self = value
    }

    /// Parses one JSON value from a string.
    public init(parsing text: String) throws(SchemaJSONError) {
        try self.init(parsing: Array(text.utf8))
    }
}

/// A cursor over bytes that builds ``SchemaJSON`` values.
private struct JSONByteParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func error(_ reason: String, at offset: Int? = nil) -> SchemaJSONError {
        SchemaJSONError(offset: offset ?? position, reason: reason)
    }

    func describeCurrent() -> String {
        guard position < bytes.count else { return "end of input" }
        let byte = bytes[position]
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(UnicodeScalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    mutating func skipWhitespace() {
        while position < bytes.count,
            [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position])
        {
            position += 1
        }
    }

    mutating func parseValue(depth: Int) throws(SchemaJSONError) -> SchemaJSON {
        guard position < bytes.count else { throw error("expected a value, found end of input") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("expected a value, found \(describeCurrent())")
        }
    }

    mutating func expectLiteral(_ literal: String) throws(SchemaJSONError) {
        let start = position
        for byte in literal.utf8 {
            guard position < bytes.count, bytes[position] == byte else {
                throw error("invalid literal; expected \(literal)", at: start)
            }
            position += 1
        }
    }

    mutating func parseObject(depth: Int) throws(SchemaJSONError) -> SchemaJSON {
        guard depth <= SchemaJSON.maximumDepth else { throw error("nesting deeper than \(SchemaJSON.maximumDepth)") }
        position += 1
        var members: [String: SchemaJSON] = [:]
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a string key, found \(describeCurrent())")
            }
            let keyOffset = position
            let key = try parseString()
            guard members[key] == nil else { throw error("duplicate key \(JSONText.quoted(key))", at: keyOffset) }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after an object key, found \(describeCurrent())")
            }
            position += 1
            skipWhitespace()
            members[key] = try parseValue(depth: depth)
            skipWhitespace()
            guard position < bytes.count else { throw error("expected ',' or '}', found end of input") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .object(members)
            default: throw error("expected ',' or '}' after an object member, found \(describeCurrent())")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(SchemaJSONError) -> SchemaJSON {
        guard depth <= SchemaJSON.maximumDepth else { throw error("nesting deeper than \(SchemaJSON.maximumDepth)") }
        position += 1
        var elements: [SchemaJSON] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw error("expected ',' or ']', found end of input") }
            switch bytes[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"): position += 1; return .array(elements)
            default: throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
            }
        }
    }

    mutating func parseNumber() throws(SchemaJSONError) -> SchemaJSON {
        let start = position
        func digits() -> Int {
            let from = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
            return position - from
        }
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let intStart = position
        let intDigits = digits()
        guard intDigits > 0 else { throw error("expected a digit in a number", at: position) }
        guard !(intDigits > 1 && bytes[intStart] == UInt8(ascii: "0")) else {
            throw error("leading zeros are not allowed in a number", at: intStart)
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw error("expected a digit after the decimal point") }
        }
        if position < bytes.count, bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digits() > 0 else { throw error("expected a digit in the exponent") }
        }
        return .number(String(decoding: bytes[start..<position], as: UTF8.self))
    }

    mutating func parseString() throws(SchemaJSONError) -> String {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var run = position
        func flushRun(_ end: Int) throws(SchemaJSONError) {
            guard run < end else { return }
            guard let text = String(validating: bytes[run..<end], as: UTF8.self) else {
                throw error("invalid UTF-8 in a string", at: run)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard position < bytes.count else { throw error("unterminated string", at: start) }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                try flushRun(position)
                position += 1
                return String(scalars)
            }
            if byte < 0x20 { throw error("control character in a string; escape it") }
            if byte != UInt8(ascii: "\\") { position += 1; continue }
            try flushRun(position)
            position += 1
            guard position < bytes.count else { throw error("unterminated escape", at: position - 1) }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"): scalars.append(try parseUnicodeEscape())
            default: throw error("invalid escape '\\\(Character(UnicodeScalar(escape)))'", at: position - 2)
            }
            run = position
        }
    }

    /// Reads the four hex digits after `\u`, combining a surrogate pair if present.
    mutating func parseUnicodeEscape() throws(SchemaJSONError) -> Unicode.Scalar {
        let escapeStart = position - 2
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                bytes[position + 1] == UInt8(ascii: "u")
            else { throw error("unpaired surrogate in \\u escape", at: escapeStart) }
            position += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw error("unpaired surrogate in \\u escape", at: escapeStart)
            }
            return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
        }
        guard let scalar = Unicode.Scalar(high) else {
            throw error("unpaired surrogate in \\u escape", at: escapeStart)
        }
        return scalar
    }

    mutating func hex4() throws(SchemaJSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count, let digit = hexValue(bytes[position]) else {
                throw error("expected four hex digits after \\u")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }
}
