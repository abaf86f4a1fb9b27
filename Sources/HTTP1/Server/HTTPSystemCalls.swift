#if canImport(Glibc)
import Glibc

/// The Linux calls that the Swift `Glibc` module does not import (`sys/epoll.h`,
/// `sys/eventfd.h`, `accept4`), resolved once with `dlsym` so no C target is needed.
///
/// The symbols are part of glibc itself, so resolution cannot fail on Linux; if it
/// does, the process has a broken libc and traps at first use.
struct HTTPSystemCalls: @unchecked Sendable {
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32

    let epollCreate1: EpollCreate1
    let epollCtl: EpollCtl
    let epollWait: EpollWait
    let eventFD: EventFD
    let accept4: Accept4

    static let shared = HTTPSystemCalls()

    private init() {
        let handle = dlopen(nil, RTLD_NOW)
        func resolve<Function>(_ name: String, as type: Function.Type) -> Function {
            guard let symbol = dlsym(handle, name) else {
                preconditionFailure("libc lacks \(name); this server needs Linux with epoll")
            }
            return unsafeBitCast(symbol, to: type)
        }
        epollCreate1 = resolve("epoll_create1", as: EpollCreate1.self)
        epollCtl = resolve("epoll_ctl", as: EpollCtl.self)
        epollWait = resolve("epoll_wait", as: EpollWait.self)
        eventFD = resolve("eventfd", as: EventFD.self)
        accept4 = resolve("accept4", as: Accept4.self)
    }
}

/// Constants of `sys/epoll.h` and `sys/eventfd.h` (stable Linux ABI values).
enum HTTPEpoll {
    static let input: UInt32 = 0x001
    static let output: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangUp: UInt32 = 0x010
    static let readHangUp: UInt32 = 0x2000
    static let exclusive: UInt32 = 1 << 28
    static let add: Int32 = 1
    static let delete: Int32 = 2
    static let modify: Int32 = 3
    static let closeOnExec: Int32 = 0o2_000_000
    static let eventNonBlocking: Int32 = 0o4000

    /// `sizeof(struct epoll_event)`: packed on x86-64 (12 bytes), naturally aligned elsewhere.
    #if arch(x86_64)
    static let eventSize = 12
    static let dataOffset = 4
    #else
    static let eventSize = 16
    static let dataOffset = 8
    #endif

    /// Writes one `struct epoll_event` into `buffer`.
    static func store(events: UInt32, data: UInt64, into buffer: UnsafeMutableRawPointer) {
        buffer.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
        withUnsafeBytes(of: data) { bytes in
            (buffer + dataOffset).copyMemory(from: bytes.baseAddress!, byteCount: 8)
        }
    }

    /// Reads the events and data of the `index`th `struct epoll_event` in `buffer`.
    static func load(at index: Int, from buffer: UnsafeRawPointer) -> (events: UInt32, data: UInt64) {
        let base = buffer + index * eventSize
        return (base.loadUnaligned(as: UInt32.self), base.loadUnaligned(fromByteOffset: dataOffset, as: UInt64.self))
    }

    /// `epoll_ctl` with one event; returns errno on failure.
    @discardableResult
    static func control(_ epollFD: Int32, _ operation: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        var raw = (UInt64(0), UInt64(0))
        return withUnsafeMutableBytes(of: &raw) { bytes in
            store(events: events, data: data, into: bytes.baseAddress!)
            return HTTPSystemCalls.shared.epollCtl(epollFD, operation, fd, bytes.baseAddress) == 0 ? 0 : errno
        }
    }
}
#endif
