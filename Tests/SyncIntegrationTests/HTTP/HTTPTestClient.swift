import Foundation
import Glibc

/// A blocking loopback client for the server tests; every read times out after 10 s.
///
/// The timeout only bounds a failing test: a passing one never waits for it, so it is
/// generous enough for a loaded 2-core machine running other suites in parallel.
final class HTTPTestClient {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
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

    /// Reads more bytes into `pending`; false on EOF, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(fd, &chunk, chunk.count)
        guard count > 0 else { return false }
        pending.append(contentsOf: chunk[0..<count])
        return true
    }

    private func takeLine() -> String? {
        while true {
            if let index = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[0..<index], as: UTF8.self)
                pending.removeSubrange(0...index)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard fill() else { return nil }
        }
    }

    private func take(_ count: Int) -> [UInt8]? {
        while pending.count < count {
            guard fill() else { return nil }
        }
        let bytes = Array(pending[0..<count])
        pending.removeSubrange(0..<count)
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
