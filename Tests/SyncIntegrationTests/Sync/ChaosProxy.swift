import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on loopback that forwards to a relay and misbehaves on purpose: it cuts
/// connections at random byte offsets in either direction, delays traffic, and replays
/// whole client requests a second time (so the relay sees duplicated pushes). Every choice
/// comes from a seeded generator, so a failing run can be repeated.
final class ChaosProxy: @unchecked Sendable {
    struct Faults {
        /// Percent of connections cut somewhere in the first `cutWithin` bytes.
        var cutPercent = 40
        var cutWithin = 1_200
        /// Percent of connections whose client bytes are replayed to the relay afterwards.
        var replayPercent = 20
        /// Maximum delay per forwarded chunk, in milliseconds.
        var maxDelayMilliseconds = 3
    }

    let port: Int
    private let upstreamPort: Int
    private let listener: Int32
    private let lock = NSLock()
    private var random: RepeatableRandom
    private let faults: Faults
    private var stopped = false
    private(set) var cuts = 0
    private(set) var replays = 0
    private(set) var connections = 0

    init(upstreamPort: Int, seed: UInt64, faults: Faults = Faults()) throws {
        self.upstreamPort = upstreamPort
        self.random = RepeatableRandom(seed: seed)
        self.faults = faults
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = ChaosProxy.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in acceptLoop() }
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        lock.withLock { stopped = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func next(_ bound: Int) -> Int {
        lock.withLock { Int(random.next() % UInt64(max(bound, 1))) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { return }
            if lock.withLock({ stopped }) { close(client); return }
            let upstream = connectUpstream()
            guard upstream >= 0 else { close(client); continue }
            lock.withLock { connections += 1 }
            let cutAt = next(100) < faults.cutPercent ? next(faults.cutWithin) : Int.max
            let cutUpstream = next(2) == 0
            let replay = next(100) < faults.replayPercent
            let recorded = Recorded()
            let pair = Pair(client: client, upstream: upstream)
            Thread.detachNewThread { [self] in
                pump(from: client, to: upstream, cutAt: cutUpstream ? cutAt : .max, pair: pair, record: recorded)
            }
            Thread.detachNewThread { [self] in
                pump(from: upstream, to: client, cutAt: cutUpstream ? .max : cutAt, pair: pair, record: nil)
                if replay { replayRequest(recorded.bytes) }
            }
        }
    }

    private final class Recorded: @unchecked Sendable {
        private let lock = NSLock()
        private var data: [UInt8] = []
        func append(_ bytes: ArraySlice<UInt8>) { lock.withLock { data += bytes } }
        var bytes: [UInt8] { lock.withLock { data } }
    }

    /// The two sockets of one proxied connection. A cut shuts both down at once (which wakes
    /// the other direction's blocked read); the descriptors are closed only when both
    /// directions have finished, so a descriptor number is never reused under a running pump.
    private final class Pair: @unchecked Sendable {
        let client: Int32
        let upstream: Int32
        private let lock = NSLock()
        private var finished = 0
        init(client: Int32, upstream: Int32) { self.client = client; self.upstream = upstream }

        func shutDownBoth() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
        }

        /// Called once by each direction when it stops.
        func directionFinished() {
            shutDownBoth()
            let both = lock.withLock { finished += 1; return finished == 2 }
            if both {
                close(client)
                close(upstream)
            }
        }
    }

    private func pump(from source: Int32, to target: Int32, cutAt: Int, pair: Pair, record: Recorded?) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var sent = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            var chunk = buffer[0..<count]
            if sent + count > cutAt {
                chunk = chunk.prefix(max(0, cutAt - sent))
                _ = chunk.withUnsafeBytes { write(target, $0.baseAddress, $0.count) }
                lock.withLock { cuts += 1 }
                if ProcessInfo.processInfo.environment["SYNC_DEBUG"] != nil {
                    print("proxy: cut \(record == nil ? "relay->device" : "device->relay") at byte \(cutAt) of fd \(source)->\(target)")
                }
                break
            }
            record?.append(chunk)
            if faults.maxDelayMilliseconds > 0 { usleep(UInt32(next(faults.maxDelayMilliseconds * 1000))) }
            var offset = chunk.startIndex
            while offset < chunk.endIndex {
                let written = chunk[offset...].withUnsafeBytes { write(target, $0.baseAddress, $0.count) }
                if written <= 0 { break }
                offset += written
            }
            sent += count
        }
        pair.directionFinished()
    }

    /// Sends a recorded client request to the relay again and throws the answer away.
    private func replayRequest(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let upstream = connectUpstream()
        guard upstream >= 0 else { return }
        lock.withLock { replays += 1 }
        _ = bytes.withUnsafeBytes { write(upstream, $0.baseAddress, $0.count) }
        shutdown(upstream, Int32(SHUT_WR))
        var buffer = [UInt8](repeating: 0, count: 4096)
        while buffer.withUnsafeMutableBytes({ read(upstream, $0.baseAddress, $0.count) }) > 0 {}
        close(upstream)
    }

    private func connectUpstream() -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = ChaosProxy.loopback(port: upstreamPort)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 { close(fd); return -1 }
        return fd
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
