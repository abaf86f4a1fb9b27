/// The request-target of a request line split into path and query (RFC 9112 §3.2).
///
/// Accepts origin-form (`/p?q`), absolute-form (`http://host/p?q`, whose authority is
/// ignored) and asterisk-form (`*`). Authority-form (`CONNECT host:port`) is refused:
/// this server is not a proxy.
struct HTTPRequestTarget: Equatable {
    var rawPath: String
    var path: String
    var queryItems: [HTTPRequest.QueryItem]

    init(_ target: String) throws(HTTPParseError) {
        var rest = Substring(target)
        if rest == "*" {
            rawPath = "*"
            path = "*"
            queryItems = []
            return
        }
        if !rest.hasPrefix("/") {
            let lower = rest.lowercased()
            guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
                throw .invalidTarget
            }
            rest = rest[rest.index(rest.startIndex, offsetBy: lower.hasPrefix("http://") ? 7 : 8)...]
            guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else {
                rawPath = "/"
                path = "/"
                queryItems = []
                return
            }
            rest = rest[slash...]
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        // A fragment is never sent by conforming clients; drop it rather than route on it.
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let rawQuery: Substring?
        if let question = rest.firstIndex(of: "?") {
            rawPath = String(rest[..<question])
            rawQuery = rest[rest.index(after: question)...]
        } else {
            rawPath = String(rest)
            rawQuery = nil
        }
        guard let decodedPath = Self.percentDecode(rawPath, plusIsSpace: false) else {
            throw .invalidTarget
        }
        path = decodedPath
        queryItems = []
        guard let rawQuery, !rawQuery.isEmpty else { return }
        for piece in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring?
            if let equals = piece.firstIndex(of: "=") {
                name = piece[..<equals]
                value = piece[piece.index(after: equals)...]
            } else {
                name = piece
                value = nil
            }
            guard let decodedName = Self.percentDecode(name, plusIsSpace: true) else { throw .invalidTarget }
            var decodedValue: String?
            if let value {
                guard let decoded = Self.percentDecode(value, plusIsSpace: true) else { throw .invalidTarget }
                decodedValue = decoded
            }
            queryItems.append(.init(name: decodedName, value: decodedValue))
        }
    }

    /// `%XX` sequences decoded to bytes and the result read as UTF-8; nil when a `%` is
    /// not followed by two hex digits or the bytes are not valid UTF-8.
    static func percentDecode(_ text: some StringProtocol, plusIsSpace: Bool) -> String? {
        let utf8 = Array(text.utf8)
        guard utf8.contains(UInt8(ascii: "%")) || (plusIsSpace && utf8.contains(UInt8(ascii: "+"))) else {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < utf8.count,
                      let high = HTTPSyntax.hexValue(utf8[index + 1]),
                      let low = HTTPSyntax.hexValue(utf8[index + 2])
                else { return nil }
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
