import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client on POSIX sockets: one request per connection (`Connection:
/// close`), a deadline on every step. Answers are read by the server's own parser
/// (``HTTPParser`` in response mode), as strictly: `Content-Length`, chunked or
/// read-to-close bodies, interim 1xx answers skipped, no body for `HEAD`, 204 and 304.
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
        /// Header fields by lower-cased name; a repeated field's values are joined with
        /// ", " in order (RFC 9110 §5.3). Trailer fields are not included.
        public var headers: [String: String]
        /// The body, chunked coding removed.
        public var body: [UInt8]
    }

    /// Sends one request and reads the whole answer within `timeout` seconds.
    ///
    /// Throws ``HTTPClientError/unreachable(_:)`` when the server cannot be reached, the
    /// connection is lost or cut before the answer is complete, the deadline passes or the
    /// task is cancelled; ``HTTPClientError/badResponse(_:)`` when the answer is not
    /// HTTP/1.1 this client reads or is over ``maxResponseBytes``.
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
        return try receive(fd, method: method, deadline: deadline, socket: socket)
    }

    /// Feeds the answer's bytes to a response parser until it yields the response, the
    /// server closes, or the deadline passes.
    ///
    /// The parser's limits are the server's for the head, ``maxResponseBytes`` for the
    /// decoded body; interim (1xx) answers are skipped by it.
    private func receive(_ fd: Int32, method: String, deadline: Date, socket: CancellableSocket) throws(HTTPClientError) -> Response {
        var limits = HTTPParser.Limits()
        limits.maxBodyBytes = maxResponseBytes
        var parser = HTTPParser(mode: .responses(toMethod: method), limits: limits)
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            switch parser.nextResponse() {
            case .response(let response): return Response(response)
            case .failure(let error): throw error.clientError(maxResponseBytes: maxResponseBytes)
            case .needMoreData: break
            }
            guard Date() < deadline else { throw .unreachable("the server did not answer in time") }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreachable(errno == EAGAIN || errno == EWOULDBLOCK ? "the server did not answer in time" : "connection lost: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                // A cancelled exchange's shutdown reads as a close: never take the body so
                // far for a read-to-close answer.
                if socket.isCancelled { throw .unreachable("cancelled") }
                switch parser.finish() {
                case .success(let response): return Response(response)
                case .failure(let error): throw error.clientError(maxResponseBytes: maxResponseBytes)
                }
            }
            parser.append(chunk[0..<count])
        }
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

extension SocketHTTPClient.Response {
    init(_ response: HTTPParser.Response) {
        status = response.status
        headers = [:]
        for field in response.headers {
            let name = field.name.lowercased()
            headers[name] = headers[name].map { "\($0), \(field.value)" } ?? field.value
        }
        body = response.body
    }
}
