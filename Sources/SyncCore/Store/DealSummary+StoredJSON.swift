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
        var json = #"{"completenessPercent":"#
        json += String(completenessPercent)
        json += #","conflictCount":"#
        json += String(conflictCount)
        json += #","id":"#
        Self.append(id.rawValue, to: &json)
        if let model {
            json += #","model":"#
            Self.append(model, to: &json)
        }
        if let price {
            json += #","price":"#
            Self.append(price, to: &json)
        }
        json += #","stages":["#
        for (position, stage) in stages.enumerated() {
            json += position == 0 ? "{" : ",{"
            if let channel = stage.lastChannel {
                json += #""lastChannel":"#
                Self.append(channel.rawValue, to: &json)
                json += ","
            }
            json += #""stage":"#
            Self.append(stage.stage.rawValue, to: &json)
            json += #","status":"#
            Self.append(stage.status.rawValue, to: &json)
            json += "}"
        }
        json += #"],"updatedAt":"#
        json += String(updatedAt)
        json += "}"
        return json
    }

    /// Appends `text` as a JSON string, quoted as the encoder quotes it.
    private static func append(_ text: String, to json: inout String) {
        guard text.unicodeScalars.allSatisfy(isWrittenAsIs) else {
            // The encoder's escapes (quotes, backslashes, slashes, control characters, …)
            // are its own business: let it write the string.
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            json += String(decoding: (try? encoder.encode(text)) ?? Data(#""""#.utf8), as: UTF8.self)
            return
        }
        json += "\""
        json += text
        json += "\""
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
