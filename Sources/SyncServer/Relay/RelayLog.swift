import Foundation
import CanonicalJSON

/// The relay's structured log: one JSON object per line, written whole in one call.
///
/// Every line has `time` (ISO 8601, UTC, milliseconds) and `event`; the rest depends on the
/// event (`request`: method, path, status, ms). Tokens are never logged.
///
/// ```
/// {"event":"request","method":"GET","ms":0.412,"path":"/healthz","status":200,"time":"2025-06-15T14:26:40.123Z"}
/// ```
public struct RelayLog: Sendable {
    /// Nil for ``discarding``: no line is even built (a relay answers thousands of woken
    /// long-polls at once, each logged).
    private let write: (@Sendable (String) -> Void)?

    /// A log that hands each line (ending in a newline) to `write`.
    public init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    private init() {
        write = nil
    }

    /// A log on standard error.
    public static let standardError = RelayLog { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// A log that drops everything.
    public static let discarding = RelayLog()

    /// Writes one line for `event` with `fields` (which must not use the keys `time` or `event`).
    public func log(_ event: String, _ fields: [String: SchemaJSON] = [:], at date: Date = Date()) {
        guard let write else { return }
        var object = fields
        object["event"] = .string(event)
        object["time"] = .string(RelayTime.iso8601Milliseconds(date))
        write(SchemaJSON.object(object).canonicalText + "\n")
    }

    /// Writes the line for one answered request.
    public func request(method: String, path: String, status: Int, duration: Duration) {
        guard write != nil else { return }
        log("request", [
            "method": .string(method), "path": .string(path), "status": .integer(Int64(status)),
            "ms": .number(String(RelayTime.milliseconds(duration))),
        ])
    }
}
