import Foundation

/// A fresh folder for one test, removed when the test ends (GRDB's test-case layout).
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/sync-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown)
        }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The path of `name` inside the folder.
    func file(_ name: String) -> String {
        path + "/" + name
    }
}

/// Runs `body` with a temporary folder that is removed afterwards, even when `body` throws.
func withTemporaryDirectory<Result>(_ body: (borrowing TemporaryDirectory) throws -> Result) throws -> Result {
    let directory = try TemporaryDirectory()
    return try body(directory)
}

/// The bytes of the file at `path`.
func contentsOfFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Writes `bytes` to a new file at `path`.
func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
