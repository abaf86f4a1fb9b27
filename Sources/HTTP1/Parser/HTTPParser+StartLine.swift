/// The first line of a message: the request line (RFC 9112 §3) or the status line (§4).
extension HTTPParser {
    /// What an over-long start line is refused as.
    var startLineTooLong: HTTPParseError {
        mode == .requests ? .requestLineTooLong : .invalidStatusLine
    }

    /// The head begun by `line`, or nil for an empty line before a request line.
    func parseStartLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Head? {
        switch mode {
        case .requests:
            if line.isEmpty { return nil }
            return try Self.parseRequestLine(line)
        case .responses:
            return try Self.parseStatusLine(line)
        }
    }

    /// `method SP request-target SP HTTP-version`.
    static func parseRequestLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Head {
        guard let firstSpace = line.firstIndex(of: HTTPSyntax.space),
              let lastSpace = line.lastIndex(of: HTTPSyntax.space),
              firstSpace < lastSpace
        else { throw .invalidRequestLine }
        let method = line[line.startIndex..<firstSpace]
        let target = line[(firstSpace + 1)..<lastSpace]
        let version = try parseVersion(line[(lastSpace + 1)...])
        guard HTTPSyntax.isToken(method) else { throw .invalidMethod }
        guard !target.isEmpty else { throw .invalidRequestLine }
        guard target.allSatisfy(HTTPSyntax.isTargetChar) else { throw .invalidTarget }
        let targetString = String(decoding: target, as: UTF8.self)
        let parsedTarget = try HTTPRequestTarget(targetString)
        let methodString = String(decoding: method, as: UTF8.self)
        if parsedTarget.rawPath == "*", methodString != "OPTIONS" { throw .invalidTarget }
        return Head(startLine: .request(method: methodString, target: targetString, parsedTarget: parsedTarget), version: version)
    }

    /// `HTTP-version SP status-code SP [ reason-phrase ]`, the status code within 100...599
    /// (RFC 9110 §15).
    ///
    /// The SP before an empty reason phrase may be missing (`HTTP/1.1 204`): servers drop
    /// it, and accepting it cannot change the framing. The reason phrase is kept but means
    /// nothing (RFC 9112 §4).
    static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> Head {
        guard let space = line.firstIndex(of: HTTPSyntax.space) else { throw .invalidStatusLine }
        let version = try parseVersion(line[line.startIndex..<space])
        let afterVersion = line[(space + 1)...]
        guard let code = HTTPSyntax.decimal(afterVersion.prefix(3)), afterVersion.prefix(3).count == 3,
              (100...599).contains(code)
        else { throw .invalidStatusLine }
        var reason = afterVersion.dropFirst(3)
        if let separator = reason.first {
            guard separator == HTTPSyntax.space else { throw .invalidStatusLine }
            reason = reason.dropFirst()
        }
        // HTAB / SP / VCHAR / obs-text, the bytes of a field value.
        guard reason.allSatisfy(HTTPSyntax.isFieldValueChar) else { throw .invalidStatusLine }
        return Head(startLine: .status(code: code, reason: String(decoding: reason, as: UTF8.self)), version: version)
    }

    /// `HTTP/DIGIT.DIGIT`, major version 1.
    static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let text = Array(bytes)
        guard text.count == 8, text[0..<5].elementsEqual("HTTP/".utf8), text[6] == UInt8(ascii: "."),
              let major = HTTPSyntax.decimal(text[5...5]), let minor = HTTPSyntax.decimal(text[7...7])
        else { throw .invalidVersion }
        guard major == 1 else { throw .unsupportedVersion }
        return HTTPVersion(major: major, minor: minor)
    }
}
