import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client on POSIX sockets: one request per connection (`Connection:
/// close`), `Content-Length` or chunked answers, a deadline on every step.
///
/// Why not URLSession here: on Linux the toolchain's FoundationNetworking traps the whole
/// process ("Transfer completed, but there's no response", swift-corelibs-foundation issue
/// 5285) when a connection is closed before any answer byte arrives — an everyday event on a
/// showroom's Wi-Fi, and one the sync tests provoke on purpose. A sync client must turn that
/// into a retryable error, so the device uses this client. The blocking calls run on a
/// dedicated thread, never on Swift's cooperative pool.
public struct SocketHTTPClient: Sendable {
    /// Largest answer accepted, so a broken server cannot exhaust the device's memory.
    public var maxResponseBytes = 256 << 20

    public init() {}

    /// A parsed answer.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
    }

    /// Sends one request and reads the whole answer within `timeout` seconds.
    public func send(method: String, url: URL, headers: [String: String], body: [UInt8], timeout: TimeInterval) async throws(HTTPClientError) -> Response {
        let socket = CancellableSocket()
        let result: Result<Response, HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: Result { () throws(HTTPClientError) -> Response in
                        try self.exchange(method: method, url: url, headers: headers, body: body, timeout: timeout, socket: socket)
                    })
                }
                thread.name = "sync-http-client"
                thread.start()
            }
        } onCancel: {
            socket.cancel()
        }
        return try result.get()
    }

    private func exchange(method: String, url: URL, headers: [String: String], body: [UInt8], timeout: TimeInterval,
                          socket: CancellableSocket) throws(HTTPClientError) -> Response {
        guard url.scheme == "http", let host = url.host else {
            throw .unsupportedURL("only http:// server URLs are supported by this client (got \(url.absoluteString))")
        }
        let port = url.port ?? 80
        let deadline = Date().addingTimeInterval(timeout)
        let fd = try connect(host: host, port: port, timeout: timeout)
        guard socket.adopt(fd) else {
            close(fd)
            throw .unreachable("cancelled")
        }
        defer { socket.release() }
        var target = url.path.isEmpty ? "/" : url.path
        if let query = url.query { target += "?" + query }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        try writeAll(fd, Array(head.utf8) + body)
        var reader = SocketReader(fd: fd, deadline: deadline, limit: maxResponseBytes)
        let statusLine = try reader.line()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .badResponse("not an HTTP/1.1 status line: \(statusLine.prefix(80))")
        }
        var responseHeaders: [String: String] = [:]
        while true {
            let line = try reader.line()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw .badResponse("malformed header line") }
            responseHeaders[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard status >= 200 else { throw .badResponse("unexpected interim answer \(status)") }
        let responseBody: [UInt8]
        if responseHeaders["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var collected: [UInt8] = []
            while true {
                let sizeLine = try reader.line()
                guard let sizeText = sizeLine.split(separator: ";").first,
                      let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                    throw .badResponse("malformed chunk size")
                }
                if size == 0 {
                    while try !reader.line().isEmpty {}
                    break
                }
                collected += try reader.bytes(size)
                _ = try reader.line()
            }
            responseBody = collected
        } else if let lengthText = responseHeaders["content-length"] {
            guard let length = Int(lengthText), length >= 0 else { throw .badResponse("malformed Content-Length \(lengthText.prefix(20))") }
            responseBody = try reader.bytes(length)
        } else {
            responseBody = try reader.rest()
        }
        return Response(status: status, headers: responseHeaders, body: responseBody)
    }

    private func connect(host: String, port: Int, timeout: TimeInterval) throws(HTTPClientError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw .unreachable("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address for \(host)"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            if fd >= 0 {
                var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                lastError = String(cString: strerror(errno))
                close(fd)
            }
            candidate = info.pointee.ai_next
        }
        throw .unreachable("cannot connect to \(host):\(port): \(lastError)")
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(HTTPClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw .unreachable("connection lost while sending: \(String(cString: strerror(errno)))") }
            offset += written
        }
    }
}

/// Why an exchange failed. The client never retries by itself; the caller decides.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server could not be reached, or the connection was lost or timed out before the
    /// answer was complete: retrying later may succeed.
    case unreachable(String)
    /// The answer is not HTTP/1.1 this client can read, or is over its size limit.
    case badResponse(String)
    /// The URL is not one this client can use (only `http://` with a host).
    case unsupportedURL(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "unreachable: \(reason)"
        case .badResponse(let reason): "unreadable answer: \(reason)"
        case .unsupportedURL(let reason): reason
        }
    }
}

/// Buffered reads from a socket with a deadline and a size limit.
struct SocketReader {
    let fd: Int32
    let deadline: Date
    let limit: Int
    private var buffer: [UInt8] = []
    private var position = 0
    private var total = 0
    private var closed = false

    init(fd: Int32, deadline: Date, limit: Int) {
        self.fd = fd
        self.deadline = deadline
        self.limit = limit
    }

    private mutating func fill() throws(HTTPClientError) {
        if closed { throw .unreachable("the server closed the connection before the answer was complete") }
        guard Date() < deadline else { throw .unreachable("the server did not answer in time") }
        if position > 0 {
            buffer.removeFirst(position)
            position = 0
        }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                throw .unreachable(errno == EAGAIN || errno == EWOULDBLOCK ? "the server did not answer in time" : "connection lost: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                closed = true
                return
            }
            total += count
            guard total <= limit else { throw .badResponse("the answer is larger than \(limit) bytes") }
            buffer += chunk[0..<count]
            return
        }
    }

    /// A line ending in CRLF (or LF), without the line break.
    mutating func line() throws(HTTPClientError) -> String {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                var end = newline
                if end > position && buffer[end - 1] == 0x0D { end -= 1 }
                let text = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return text
            }
            guard buffer.count - position < 64 * 1024 else { throw .badResponse("an answer line is too long") }
            let before = buffer.count - position
            try fill()
            if closed && buffer.count - position == before {
                throw .unreachable("the server closed the connection before the answer was complete")
            }
        }
    }

    /// Exactly `count` bytes.
    mutating func bytes(_ count: Int) throws(HTTPClientError) -> [UInt8] {
        guard count >= 0 else { throw .badResponse("negative length") }
        guard count <= limit else { throw .badResponse("the answer is larger than \(limit) bytes") }
        while buffer.count - position < count {
            let before = buffer.count - position
            try fill()
            if closed && buffer.count - position == before {
                throw .unreachable("the server closed the connection before the answer was complete")
            }
        }
        defer { position += count }
        return Array(buffer[position..<position + count])
    }

    /// Everything until the connection closes.
    mutating func rest() throws(HTTPClientError) -> [UInt8] {
        while !closed { try fill() }
        defer { position = buffer.count }
        return Array(buffer[position...])
    }
}

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
