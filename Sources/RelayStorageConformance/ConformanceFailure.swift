/// A storage did not do what a conformance check expects: which check, what was expected and
/// what came, and the line of the check that saw it.
public struct ConformanceFailure: Error, CustomStringConvertible {
    /// The check's name (empty until the check's runner names it).
    public let check: String
    /// What was expected and what came.
    public let message: String
    /// Where in the checks the difference was seen, as `file:line`.
    public let location: String
    /// The whole account: `check: message (file:line)`.
    public let description: String

    init(check: String, message: String, file: StaticString, line: UInt) {
        self.init(check: check, message: message, location: "\(file):\(line)")
    }

    private init(check: String, message: String, location: String) {
        self.check = check
        self.message = message
        self.location = location
        description = (check.isEmpty ? "" : check + ": ") + message + " (\(location))"
    }

    /// The same failure, said of the check `name`.
    func naming(check name: String) -> ConformanceFailure {
        ConformanceFailure(check: name, message: message, location: location)
    }
}
