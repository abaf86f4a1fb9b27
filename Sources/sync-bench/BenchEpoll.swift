import Foundation

/// `epoll` for the fan-out watchers' child, which waits on thousands of sockets at once
/// (`poll` would scan them all on every call). The Swift `Glibc` module does not import
/// `sys/epoll.h`, so the three calls are resolved with `dlsym`, as the HTTP1 server does.
struct BenchEpoll {
    private typealias Create1 = @convention(c) (Int32) -> Int32
    private typealias Control = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    private typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32

    static let input: UInt32 = 0x001
    private static let add: Int32 = 1
    /// `sizeof(struct epoll_event)`: packed on x86-64, naturally aligned elsewhere.
    #if arch(x86_64)
    private static let eventSize = 12
    private static let dataOffset = 4
    #else
    private static let eventSize = 16
    private static let dataOffset = 8
    #endif

    private let control: Control
    private let wait: Wait
    private let fd: Int32
    private let capacity = 1_024
    private let events: UnsafeMutableRawPointer

    init() throws {
        let handle = dlopen(nil, RTLD_NOW)
        guard let create = dlsym(handle, "epoll_create1"), let control = dlsym(handle, "epoll_ctl"),
              let wait = dlsym(handle, "epoll_wait") else { throw BenchError("libc lacks epoll") }
        self.control = unsafeBitCast(control, to: Control.self)
        self.wait = unsafeBitCast(wait, to: Wait.self)
        fd = unsafeBitCast(create, to: Create1.self)(0)
        guard fd >= 0 else { throw BenchError("epoll_create1: \(String(cString: strerror(errno)))") }
        events = UnsafeMutableRawPointer.allocate(byteCount: capacity * Self.eventSize, alignment: 8)
    }

    /// Watches `socket` for input, tagged `tag`.
    func watch(_ socket: Int32, tag: UInt64) throws {
        var raw = (UInt64(0), UInt64(0))
        let result = withUnsafeMutableBytes(of: &raw) { bytes in
            bytes.baseAddress!.storeBytes(of: Self.input, toByteOffset: 0, as: UInt32.self)
            withUnsafeBytes(of: tag) { (bytes.baseAddress! + Self.dataOffset).copyMemory(from: $0.baseAddress!, byteCount: 8) }
            return control(fd, Self.add, socket, bytes.baseAddress)
        }
        guard result == 0 else { throw BenchError("epoll_ctl: \(String(cString: strerror(errno)))") }
    }

    /// The tags of the sockets ready now, waiting at most `milliseconds`.
    func ready(milliseconds: Int32) -> [UInt64] {
        let count = wait(fd, events, Int32(capacity), milliseconds)
        guard count > 0 else { return [] }
        return (0..<Int(count)).map { (events + $0 * Self.eventSize).loadUnaligned(fromByteOffset: Self.dataOffset, as: UInt64.self) }
    }

    func close() {
        Glibc.close(fd)
        events.deallocate()
    }
}

/// CLOCK_MONOTONIC in nanoseconds: one clock for the parent and its children.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}
