import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The socket of one exchange, shut down from another thread when the calling task is
/// cancelled, so a blocked read returns at once (live mode stops without waiting out a
/// long-poll).
final class CancellableSocket: @unchecked Sendable {
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var cancelled = false

    /// Takes ownership of `descriptor`; false if the exchange was already cancelled.
    func adopt(_ descriptor: Int32) -> Bool {
        lock.withLock {
            guard !cancelled else { return false }
            fd = descriptor
            return true
        }
    }

    /// Whether ``cancel()`` was called: a read that returned end-of-stream was then cut
    /// by the shutdown, not closed by the server.
    var isCancelled: Bool {
        lock.withLock { cancelled }
    }

    /// Shuts the socket down (if any) and marks the exchange cancelled.
    func cancel() {
        lock.withLock {
            cancelled = true
            if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Closes the socket once the exchange is over.
    func release() {
        lock.withLock {
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }
}
