import Foundation
import Glibc
import Synchronization

/// What a child writes to one pipe, read to the end by a thread of its own so the child never
/// blocks on a full pipe, however little the test reads.
final class CapturedStream: Sendable {
    private struct State {
        var bytes: [UInt8] = []
        /// Bytes already handed out by ``takeLine()``.
        var consumed = 0
        var ended = false
    }

    private let state: Mutex<State>

    /// Reads `fd` until end of file on a new thread, then closes it.
    init(reading fd: Int32) {
        state = Mutex(State())
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { $0.bytes += buffer[..<count] }
            }
            close(fd)
            state.withLock { $0.ended = true }
        }
    }

    /// A stream with nothing to read (the child's output went elsewhere).
    init() {
        state = Mutex(State(ended: true))
    }

    /// Everything read so far.
    var text: String {
        state.withLock { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Whether the writing side was closed and everything read.
    var ended: Bool {
        state.withLock { $0.ended }
    }

    /// The next whole line not yet taken, without its newline; `ended` tells whether more
    /// can come.
    func takeLine() -> (line: String?, ended: Bool) {
        state.withLock { state in
            guard let newline = state.bytes[state.consumed...].firstIndex(of: 0x0A) else { return (nil, state.ended) }
            let line = String(decoding: state.bytes[state.consumed..<newline], as: UTF8.self)
            state.consumed = newline + 1
            return (line, false)
        }
    }
}
