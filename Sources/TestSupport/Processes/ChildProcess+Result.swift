extension ChildProcess {
    /// How a child process ended and what it wrote.
    public struct Result: Sendable, CustomStringConvertible {
        /// The exit status, or the number of the signal that ended the child (then
        /// `killedBySignal`).
        public var status: Int32
        /// Whether a signal ended the child.
        public var killedBySignal: Bool
        /// All the child wrote to standard output (lines read with `readLine` too).
        public var stdout: String
        /// All the child wrote to standard error.
        public var stderr: String

        /// Whether the child exited by itself with status 0.
        public var succeeded: Bool { status == 0 && !killedBySignal }

        public var description: String {
            "exit \(status)\(killedBySignal ? " (signal)" : "")\nstdout: \(stdout)\nstderr: \(stderr)"
        }
    }
}
