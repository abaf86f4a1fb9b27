import Foundation
import Glibc
@testable import HTTP1
import Testing

/// A loopback server that answers one connection with fixed bytes, written in pieces a
/// little apart (so the client parses them as they come), then holds the connection open
/// for `holdOpen` seconds and closes it.
private final class CannedAnswerServer: Sendable {
    let port: Int

    init(_ pieces: [String], holdOpen: TimeInterval = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let answer = pieces.map { Array($0.utf8) }
        Thread.detachNewThread {
            defer { close(fd) }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { return }
            defer { close(client) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            // The whole request head (the client's requests here have no body): closing with
            // unread bytes would reset the connection instead of ending it.
            var request: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !request.ends(with: Array("\r\n\r\n".utf8)) {
                let count = read(client, &buffer, buffer.count)
                guard count > 0 else { return }
                request += buffer[0..<count]
            }
            for piece in answer {
                _ = piece.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                usleep(5_000)
            }
            if holdOpen > 0 { usleep(UInt32(holdOpen * 1_000_000)) }
        }
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)/x")! }
}

extension Array where Element: Equatable {
    fileprivate func ends(with suffix: [Element]) -> Bool {
        count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
    }
}

/// The client against a real loopback server answering fixed bytes.
@Suite("SocketHTTPClient", .serialized)
struct SocketHTTPClientTests {
    @Test func aChunkedAnswerArrivingInPiecesIsDecoded() async throws {
        let server = try CannedAnswerServer([
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Multi: 1\r\n",
            "x-multi: 2\r\n\r\n5;ext=1\r\nhel",
            "lo\r\n6\r\n world\r\n0\r\nTrailer: t\r\n\r\n",
        ], holdOpen: 10)
        // Complete without waiting for the close.
        let response = try await SocketHTTPClient().send(method: "GET", url: server.url, headers: [:], body: [], timeout: 5)
        #expect(response.status == 200)
        #expect(response.body == Array("hello world".utf8))
        #expect(response.headers["x-multi"] == "1, 2")
        #expect(response.headers["transfer-encoding"] == "chunked")
    }

    @Test func anAnswerWithoutFramingIsReadToTheClose() async throws {
        let server = try CannedAnswerServer(["HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of", " it"])
        let response = try await SocketHTTPClient().send(method: "GET", url: server.url, headers: [:], body: [], timeout: 5)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "text/plain")
        #expect(response.body == Array("all of it".utf8))
    }

    @Test func interimAnswersAreSkippedAndAHeadAnswerHasNoBody() async throws {
        let interim = try CannedAnswerServer(["HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n"], holdOpen: 10)
        let skipped = try await SocketHTTPClient().send(method: "POST", url: interim.url, headers: [:], body: [], timeout: 5)
        #expect(skipped.status == 204)
        let head = try CannedAnswerServer(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"], holdOpen: 10)
        let headAnswer = try await SocketHTTPClient().send(method: "HEAD", url: head.url, headers: [:], body: [], timeout: 5)
        #expect(headAnswer.status == 200)
        #expect(headAnswer.headers["content-length"] == "5")
        #expect(headAnswer.body == [])
    }

    @Test(arguments: [
        "",
        "HTTP/1.1 200 OK\r\nContent-",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ])
    func aCutAnswerIsUnreachable(answer: String) async throws {
        let server = try CannedAnswerServer([answer])
        await #expect(throws: HTTPClientError.unreachable("the server closed the connection before the answer was complete")) {
            _ = try await SocketHTTPClient().send(method: "GET", url: server.url, headers: [:], body: [], timeout: 5)
        }
    }

    @Test(arguments: [
        "<!DOCTYPE html>\r\n<html></html>",
        "SSH-2.0-OpenSSH_9.6\r\n",
        "HTTP/1.1 abc OK\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ])
    func garbageIsABadResponse(answer: String) async throws {
        let server = try CannedAnswerServer([answer])
        let error = await #expect(throws: HTTPClientError.self) {
            _ = try await SocketHTTPClient().send(method: "GET", url: server.url, headers: [:], body: [], timeout: 5)
        }
        guard case .badResponse = error else {
            Issue.record("expected badResponse, got \(String(describing: error))")
            return
        }
    }

    @Test func anAnswerOverTheLimitIsABadResponse() async throws {
        var client = SocketHTTPClient()
        client.maxResponseBytes = 4
        for answer in ["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcde", "HTTP/1.1 200 OK\r\n\r\nabcde"] {
            let server = try CannedAnswerServer([answer])
            await #expect(throws: HTTPClientError.badResponse("the answer is larger than 4 bytes")) {
                _ = try await client.send(method: "GET", url: server.url, headers: [:], body: [], timeout: 5)
            }
        }
    }

    @Test func anAnswerThatStallsTimesOut() async throws {
        let server = try CannedAnswerServer(["HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"], holdOpen: 5)
        await #expect(throws: HTTPClientError.unreachable("the server did not answer in time")) {
            _ = try await SocketHTTPClient().send(method: "GET", url: server.url, headers: [:], body: [], timeout: 0.5)
        }
    }

    @Test func cancellingDuringAReadToCloseAnswerDoesNotReturnItsBeginning() async throws {
        let server = try CannedAnswerServer(["HTTP/1.1 200 OK\r\n\r\nthe beginning"], holdOpen: 10)
        let exchange = Task {
            try await SocketHTTPClient().send(method: "GET", url: server.url, headers: [:], body: [], timeout: 10)
        }
        try await Task.sleep(for: .milliseconds(300))
        exchange.cancel()
        await #expect(throws: HTTPClientError.unreachable("cancelled")) {
            _ = try await exchange.value
        }
    }
}
