extension SchemaJSON {
    /// The canonical JSON text: no insignificant whitespace, object keys sorted by
    /// their UTF-8 bytes, strings escaped minimally (`\"`, `\\`, the short escapes
    /// for control characters, `\u00XX` for the rest of them; everything else as
    /// raw UTF-8), numbers as parsed.
    ///
    /// Equal values always encode to equal bytes, so a relay and a device can compare
    /// schemas by their encoding.
    public var canonicalText: String {
        var output = ""
        write(to: &output)
        return output
    }

    /// The canonical encoding as UTF-8 bytes.
    public var canonicalBytes: [UInt8] { Array(canonicalText.utf8) }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): SchemaJSON.writeString(text, to: &output)
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (index, key) in keys.enumerated() {
                if index > 0 { output += "," }
                SchemaJSON.writeString(key, to: &output)
                output += ":"
                members[key]!.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
