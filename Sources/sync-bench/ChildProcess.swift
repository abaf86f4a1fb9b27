import Foundation

/// A child process with pipes on its standard input and output, for the relay suite's
/// idle-connection holder. Blocking reads and waits run on a dispatch queue, never on
/// Swift's cooperative pool (which the in-process relay shares).
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffered: [UInt8] = []

    /// Starts `executable` with `arguments`; its standard error is inherited unless
    /// `discardingStandardError` (a relay logs a line per request).
    init(executable: String, arguments: [String], discardingStandardError: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = input
        process.standardOutput = output
        if discardingStandardError { process.standardError = FileHandle.nullDevice }
        try process.run()
    }

    /// The child's process id.
    var pid: Int32 { process.processIdentifier }

    /// Sends SIGTERM and waits for the child to exit; returns its status.
    func terminateAndWait() async -> Int32 {
        process.terminate()
        return await closeInputAndWait()
    }

    /// The next line the child prints, without its newline; nil at end of output.
    func readLine() async -> String? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                while true {
                    if let newline = self.buffered.firstIndex(of: 0x0A) {
                        let line = String(decoding: self.buffered[..<newline], as: UTF8.self)
                        self.buffered.removeSubrange(...newline)
                        return continuation.resume(returning: line)
                    }
                    let chunk = self.output.fileHandleForReading.availableData
                    if chunk.isEmpty { return continuation.resume(returning: nil) }
                    self.buffered += chunk
                }
            }
        }
    }

    /// Writes `text` to the child's standard input.
    func write(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Closes the child's standard input and waits for it to exit; returns its status.
    func closeInputAndWait() async -> Int32 {
        try? input.fileHandleForWriting.close()
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.process.waitUntilExit()
                continuation.resume(returning: self.process.terminationStatus)
            }
        }
    }
}
