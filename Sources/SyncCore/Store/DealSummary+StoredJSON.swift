import Foundation

extension DealSummary {
    /// The summary as the `deals` table keeps it: the bytes `JSONEncoder` writes with
    /// `.sortedKeys`, written without it.
    ///
    /// A sync answer stores one summary per deal it brings, and the encoder cost as much as
    /// reading the card does. The format is the encoder's, key for key and byte for byte (the
    /// suite compares the two on summaries with every kind of string); a string with a
    /// character the encoder escapes is handed to the encoder itself, so escaping is always
    /// the encoder's own.
    ///
    /// - Complexity: O(length of the JSON).
    var storedJSON: String {
        var json: [UInt8] = []
        json.reserveCapacity(512)
        func raw(_ text: StaticString) { text.withUTF8Buffer { json.append(contentsOf: $0) } }
        func number<N: BinaryInteger>(_ value: N) { json.append(contentsOf: String(value).utf8) }
        raw(#"{"completenessPercent":"#)
        number(completenessPercent)
        raw(#","conflictCount":"#)
        number(conflictCount)
        raw(#","id":"#)
        Self.append(id.rawValue, to: &json)
        if let model {
            raw(#","model":"#)
            Self.append(model, to: &json)
        }
        if let price {
            raw(#","price":"#)
            Self.append(price, to: &json)
        }
        raw(#","stages":["#)
        for (position, stage) in stages.enumerated() {
            raw(position == 0 ? "{" : ",{")
            if let channel = stage.lastChannel {
                raw(#""lastChannel":"#)
                Self.append(channel.rawValue, to: &json)
                raw(",")
            }
            raw(#""stage":"#)
            Self.append(stage.stage.rawValue, to: &json)
            raw(#","status":"#)
            Self.append(stage.status.rawValue, to: &json)
            raw("}")
        }
        raw(#"],"updatedAt":"#)
        number(updatedAt)
        raw("}")
        return String(decoding: json, as: UTF8.self)
    }

    /// Appends `text` as a JSON string, quoted as the encoder quotes it.
    private static func append(_ text: String, to json: inout [UInt8]) {
        guard text.unicodeScalars.allSatisfy(isWrittenAsIs) else {
            // The encoder's escapes (quotes, backslashes, slashes, control characters, …)
            // are its own business: let it write the string.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            json.append(contentsOf: (try? encoder.encode(text)) ?? Data(#""""#.utf8))
            return
        }
        json.append(UInt8(ascii: "\""))
        json.append(contentsOf: text.utf8)
        json.append(UInt8(ascii: "\""))
    }

    /// Whether the encoder writes `scalar` in a string as it is: printable ASCII but the
    /// quote, the backslash and the slash, and everything from U+00A0 on but the line and
    /// paragraph separators (to leave a doubt to the encoder).
    private static func isWrittenAsIs(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x22, 0x2F, 0x5C: false
        case 0x20...0x7E: true
        case 0x2028, 0x2029: false
        case 0xA0...: true
        default: false
        }
    }
}
