import Foundation
import Synchronization

/// A fresh folder for one test, removed when the last reference goes (GRDB's test-case
/// layout): a test's files, stores and relay data all live in one.
///
/// To look at what a test left behind, keep the folder: call ``keep()`` (after a failure,
/// say), or set `KEEP_TEST_FOLDERS=1` to keep every one. A kept folder's path is written to
/// standard error when it is released.
public final class TemporaryDirectory: Sendable {
    /// The environment variable that keeps every temporary folder.
    public static let keepVariable = "KEEP_TEST_FOLDERS"

    /// The folder's absolute path.
    public let path: String
    private let kept: Mutex<Bool>

    /// Creates an empty folder in the system's temporary folder, named `prefix-XXXXXX`.
    /// - Throws: `CocoaError(.fileWriteUnknown)` when it cannot be created.
    public init(prefix: String = "sync-test", keep: Bool = false) throws {
        var template = Array((NSTemporaryDirectory() + "/\(prefix)-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: made)
        kept = Mutex(keep || ProcessInfo.processInfo.environment[Self.keepVariable] != nil)
    }

    deinit {
        if kept.withLock({ $0 }) {
            FileHandle.standardError.write(Data("kept temporary folder \(path)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The path of `name` inside the folder (a file or a folder; not created).
    public func file(_ name: String) -> String {
        path + "/" + name
    }

    /// Keeps the folder and its files when the value is released.
    public func keep() {
        kept.withLock { $0 = true }
    }
}

/// Runs `body` with a temporary folder that is removed afterwards, even when `body` throws.
public func withTemporaryDirectory<Result>(_ body: (TemporaryDirectory) throws -> Result) throws -> Result {
    let directory = try TemporaryDirectory()
    return try withExtendedLifetime(directory) { try body(directory) }
}
