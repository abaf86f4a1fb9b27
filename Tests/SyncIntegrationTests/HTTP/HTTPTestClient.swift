import Foundation
import Glibc
@testable import HTTP1

/// A blocking loopback client for the server tests; every read times out after 10 s.
///
/// The timeout only bounds a failing test: a passing one never waits for it, so it is
/// generous enough for a loaded 2-core machine running other suites in parallel.
final class HTTPTestClient {
    let fd: Int32
    /// Bytes read but not yet taken start at `pendingStart`: taking from the front moves an
    /// index rather than the bytes, so reading thousands of pipelined answers stays linear.
    private var pending: [UInt8] = []
    private var pendingStart = 0

    /// Connects to 127.0.0.1:`port`; `receiveBufferSize` pins the kernel's receive buffer
    /// (before connecting, so the window is small from the start), which keeps what the
    /// kernel absorbs for a client that does not read small and predictable.
    init(port: Int, receiveBufferSize: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBufferSize {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(fd)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { Glibc.close(fd) }

    func close() { shutdown(fd, Int32(SHUT_RDWR)) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Writes all of `bytes` from another thread, blocking there while the server does
    /// not read; `done` is signalled with the count written once it is over (all of it, or
    /// less when the server closed or nothing could be written for 30 s).
    func sendInBackground(_ bytes: [UInt8], done: DispatchSemaphore, written: HTTPLocked<Int>) {
        let fd = fd
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread {
            var offset = 0
            while offset < bytes.count {
                let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                offset += count
                written.withLock { $0 = offset }
            }
            done.signal()
        }.start()
    }

    /// Reads more bytes into `pending`; false on EOF, error or timeout.
    private func fill() -> Bool {
        if pendingStart > 0 {
            pending.removeSubrange(0..<pendingStart)
            pendingStart = 0
        }
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(fd, &chunk, chunk.count)
        guard count > 0 else { return false }
        pending.append(contentsOf: chunk[0..<count])
        return true
    }

    private func takeLine() -> String? {
        while true {
            if let index = pending[pendingStart...].firstIndex(of: 10) {
                let line = String(decoding: pending[pendingStart..<index], as: UTF8.self)
                pendingStart = index + 1
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard fill() else { return nil }
        }
    }

    private func take(_ count: Int) -> [UInt8]? {
        while pending.count - pendingStart < count {
            guard fill() else { return nil }
        }
        let bytes = Array(pending[pendingStart..<pendingStart + count])
        pendingStart += count
        return bytes
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
        var chunks: [[UInt8]]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Reads one response; `onChunk` sees each chunk of a chunked body as it arrives.
    func readResponse(onChunk: ([UInt8]) -> Void = { _ in }) -> Response? {
        guard let statusLine = takeLine() else { return nil }
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        while let line = takeLine(), !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var response = Response(status: status, headers: headers, body: [], chunks: [])
        if headers["transfer-encoding"] == "chunked" {
            while let sizeLine = takeLine(), let size = Int(sizeLine, radix: 16) {
                if size == 0 {
                    _ = takeLine()
                    return response
                }
                guard let chunk = take(size) else { return nil }
                _ = takeLine()
                onChunk(chunk)
                response.chunks.append(chunk)
                response.body += chunk
            }
            return nil
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard let body = take(length) else { return nil }
        response.body = body
        return response
    }

    /// Whether the server closed the connection (EOF within the read timeout).
    func readsEOF() -> Bool {
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }
}
