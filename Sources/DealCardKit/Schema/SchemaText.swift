import CanonicalJSON

/// Small text helpers shared by the schema's messages and parsers.
///
/// Kept in a namespace so that the schema's files can be merged into a larger
/// module without their helper names colliding with anyone else's.
enum SchemaText {
    /// A bare message raised deep in schema parsing; the caller adds the location.
    struct Problem: Error, Sendable {
        var text: String
        init(_ text: String) { self.text = text }
    }

    /// Quotes a string for an error message (see ``JSONText/quoted(_:)``).
    static func quoted(_ text: String) -> String { JSONText.quoted(text) }

    /// The Levenshtein distance between two strings, by characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `text` without leading and trailing whitespace (including no-break spaces).
    static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }

    /// Whether `character` is one of the ASCII digits 0–9.
    static func isASCIIDigit(_ character: Character) -> Bool {
        character.isASCII && character.isNumber
    }
}
