import CanonicalJSON

/// One HTTP answer from the relay, as the tests look at it.
public struct RelayAnswer: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
    public var json: SchemaJSON? { try? SchemaJSON(parsing: body) }

    /// The member at a dotted path of the JSON body (`change.seq`).
    public func value(_ path: String) -> SchemaJSON? {
        var current = json
        for key in path.split(separator: ".") {
            guard case .object(let members)? = current else { return nil }
            current = members[String(key)]
        }
        return current
    }

    /// The error code of an error body.
    public var errorCode: String? { value("error.code")?.stringValue }
    public var errorMessage: String { value("error.message")?.stringValue ?? text }
}
