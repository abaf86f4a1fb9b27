import Foundation
import SyncServer

// The assertions of the checks: each throws a ``ConformanceFailure`` (named by the check's
// runner) instead of recording an issue, since this library links no test framework.

/// Fails unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) throws {
    guard condition else { throw ConformanceFailure(check: "", message: message(), file: file, line: line) }
}

/// Fails unless `actual` equals `expected`, saying both.
func expectEqual<Value: Equatable>(_ actual: Value, _ expected: Value, _ what: @autoclosure () -> String, file: StaticString = #fileID,
                                   line: UInt = #line) throws {
    guard actual == expected else {
        throw ConformanceFailure(check: "", message: "\(what()): expected \(expected), got \(actual)", file: file, line: line)
    }
}

/// The value of `optional`, or a failure saying what was missing.
func unwrap<Value>(_ optional: Value?, _ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) throws -> Value {
    guard let value = optional else { throw ConformanceFailure(check: "", message: "\(what()): expected a value, got nil", file: file, line: line) }
    return value
}

/// Fails unless `body` throws an error that `matching` accepts; `expected` says which, for
/// the message.
func expectThrows<Value>(_ what: @autoclosure () -> String, expected: @autoclosure () -> String, matching: (any Error) -> Bool,
                         file: StaticString = #fileID, line: UInt = #line, _ body: () throws -> Value) throws {
    let outcome: String
    do {
        let value = try body()
        outcome = "no error (returned \(value))"
    } catch {
        if matching(error) { return }
        outcome = "error \(error)"
    }
    throw ConformanceFailure(check: "", message: "\(what()): expected \(expected()), got \(outcome)", file: file, line: line)
}

/// Fails unless `body` throws exactly `expected`.
func expectError<Value>(_ expected: RelayStorageError, _ what: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line,
                        _ body: () throws -> Value) throws {
    try expectThrows(what(), expected: "error \(expected)", matching: { ($0 as? RelayStorageError) == expected }, file: file, line: line, body)
}

/// Fails unless `date` is the instant `milliseconds` since 1970 (to within a microsecond: a
/// store that kept the sub-millisecond part, or truncated instead of rounding, is off by more).
func expectMilliseconds(_ date: Date, _ milliseconds: Int64, _ what: @autoclosure () -> String, file: StaticString = #fileID,
                        line: UInt = #line) throws {
    let read = date.timeIntervalSince1970 * 1000
    guard abs(read - Double(milliseconds)) < 0.001 else {
        throw ConformanceFailure(check: "", message: "\(what()): expected \(milliseconds) ms since 1970, got \(read)", file: file, line: line)
    }
}

/// The records of a push that must have been stored, or a failure saying why it was not.
func expectStored(_ result: Result<[LogRecord], RelayCommitError>, _ what: @autoclosure () -> String, file: StaticString = #fileID,
                  line: UInt = #line) throws -> [LogRecord] {
    switch result {
    case .success(let records):
        return records
    case .failure(let error):
        throw ConformanceFailure(check: "", message: "\(what()): expected it stored, got \(error)", file: file, line: line)
    }
}
