import Foundation

/// The hidden `sync-bench connect-idle --port P --count N` mode: the other end of the relay
/// suite's idle connections, in its own process so that neither side's file-descriptor
/// limit is shared.
///
/// Prints `started` and waits for a line on standard input; then opens `count` TCP
/// connections to `127.0.0.1:port`, sends nothing on them, prints one JSON line
/// (`{"connected": K}`, with `"error"` if it stopped early), and holds them until standard
/// input closes (the parent's signal to let go), at most `holdSeconds`.
enum IdleConnector {
    static func run(port: Int, count: Int, holdSeconds: UInt32 = 300) -> Int32 {
        raiseFileDescriptorLimit()
        // A parent that forgets us must not leave the sockets open forever.
        alarm(holdSeconds)
        // Started, then wait for "go": the parent counts its sockets in between.
        FileHandle.standardOutput.write(Data("started\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 256)
        guard read(STDIN_FILENO, &buffer, buffer.count) > 0 else { return 1 }
        var sockets: [Int32] = []
        sockets.reserveCapacity(count)
        var failure: BenchError?
        for _ in 0..<count {
            switch connectLoopback(port: port) {
            case .success(let fd): sockets.append(fd)
            case .failure(let error):
                failure = error
            }
            if failure != nil { break }
        }
        var line: [String: Any] = ["connected": sockets.count]
        if let failure { line["error"] = failure.description }
        // One write to the pipe: print's buffer is flushed by FileHandle here, not at exit.
        FileHandle.standardOutput.write(Data((jsonLine(line) + "\n").utf8))
        while read(STDIN_FILENO, &buffer, buffer.count) > 0 {}
        for fd in sockets { close(fd) }
        return failure == nil ? 0 : 1
    }

    /// A blocking connect to 127.0.0.1:`port`; the errno text on failure.
    static func connectLoopback(port: Int) -> Result<Int32, BenchError> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(BenchError("socket: \(String(cString: strerror(errno)))")) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let text = String(cString: strerror(errno))
            close(fd)
            return .failure(BenchError("connect: \(text)"))
        }
        return .success(fd)
    }
}
