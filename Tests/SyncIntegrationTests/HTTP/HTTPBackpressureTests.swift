import Foundation
import Glibc
import Testing
@testable import HTTP1

/// A client that pipelines requests and does not read its answers must cost the server a
/// bounded amount of memory (``HTTPServerConfiguration/maxQueuedOutputBytes``), block no
/// one else, get every answer in order once it reads, and be dropped by the write timeout
/// if it never does.
///
/// The bounds are on counts and bytes, never on elapsed time: the machine is shared.
@Suite(.serialized) struct HTTPBackpressureTests {
    /// Requests the client pipelines without reading.
    static let pipelined = 20_000
    /// Each answer's body: large enough that the kernel's socket buffers (a few MiB on
    /// loopback) hold only a fraction of all answers, so the rest would pile up in the
    /// server's outbox if nothing stopped it.
    static let bodySize = 2 * 1024

    /// Answers `/n/{i}` with a body that starts with its path, padded to ``bodySize``.
    static let numberedHandler: HTTPHandler = { request in
        let head = Array("\(request.path)\n".utf8)
        return HTTPResponse(status: .ok, body: .bytes(head + [UInt8](repeating: UInt8(ascii: "."), count: bodySize - head.count)))
    }

    static func pipelinedRequests(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * 40)
        for index in 0..<count {
            bytes += Array("GET /n/\(index) HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
        }
        return bytes
    }

    /// Waits until `value` has not changed for a second (or 30 s have passed) and returns it:
    /// how long the server takes to reach the point where it stops does not matter.
    static func settled(_ value: () -> Int) -> Int {
        let deadline = Date().addingTimeInterval(30)
        var last = value()
        var stableSince = Date()
        while Date() < deadline, Date().timeIntervalSince(stableSince) < 1 {
            usleep(50_000)
            let now = value()
            if now != last {
                last = now
                stableSince = Date()
            }
        }
        return last
    }

    @Test func clientThatDoesNotReadHoldsBoundedOutputAndGetsEveryAnswerInOrderOnceItReads() throws {
        try HTTPServerTests.withServer(handler: Self.numberedHandler) { server, port in
            let budget = server.configuration.maxQueuedOutputBytes
            let client = try HTTPTestClient(port: port, receiveBufferSize: 64 * 1024)
            let writerDone = DispatchSemaphore(value: 0)
            let written = HTTPLocked(0)
            let requests = Self.pipelinedRequests(Self.pipelined)
            client.sendInBackground(requests, done: writerDone, written: written)

            let dispatched = Self.settled { server.stats.snapshot.requestsDispatched }
            let stalled = server.stats.snapshot
            // The kernel buffers hold at most a few MiB of answers (a couple of thousand);
            // the server itself holds at most its budget and one more answer.
            #expect(dispatched < Self.pipelined / 4, "dispatched \(dispatched) of \(Self.pipelined) without the client reading")
            #expect(stalled.peakQueuedOutputBytes <= budget + Self.bodySize + 1024, "queued \(stalled.peakQueuedOutputBytes) bytes")
            #expect(stalled.outputPauses >= 1)

            // Another client is served while the first one stalls.
            let other = try HTTPTestClient(port: port)
            other.send("GET /n/other HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(other.readResponse()?.text.hasPrefix("/n/other\n") == true)

            // Once the client reads, every answer arrives, in request order.
            var outOfOrder: [String] = []
            var received = 0
            for index in 0..<Self.pipelined {
                guard let response = client.readResponse() else { break }
                received += 1
                let expected = "/n/\(index)\n"
                if response.status != 200 || !response.text.hasPrefix(expected), outOfOrder.count < 5 {
                    outOfOrder.append("#\(index): \(response.status) \(response.text.prefix(20))")
                }
            }
            #expect(received == Self.pipelined)
            #expect(outOfOrder.isEmpty, "\(outOfOrder)")
            #expect(writerDone.wait(timeout: .now() + 30) == .success)
            #expect(written.withLock { $0 } == requests.count)
            let after = server.stats.snapshot
            #expect(after.requestsDispatched == Self.pipelined + 1)
            #expect(after.peakQueuedOutputBytes <= budget + Self.bodySize + 1024, "queued \(after.peakQueuedOutputBytes) bytes")
        }
    }

    @Test func writeTimeoutClosesAClientThatNeverReads() throws {
        try HTTPServerTests.withServer({ $0.writeTimeout = .seconds(1) }, handler: Self.numberedHandler) { server, port in
            let client = try HTTPTestClient(port: port, receiveBufferSize: 64 * 1024)
            let writerDone = DispatchSemaphore(value: 0)
            let written = HTTPLocked(0)
            client.sendInBackground(Self.pipelinedRequests(Self.pipelined), done: writerDone, written: written)
            #expect(HTTPServerTests.eventually(20) { server.stats.snapshot.outputPauses >= 1 })
            #expect(HTTPServerTests.eventually(20) { server.stats.openConnections == 0 })
            let stats = server.stats.snapshot
            #expect(stats.requestsDispatched < Self.pipelined / 4)
            #expect(stats.peakQueuedOutputBytes <= server.configuration.maxQueuedOutputBytes + Self.bodySize + 1024)
            // The closed socket ends the blocked writer.
            #expect(writerDone.wait(timeout: .now() + 30) == .success)
        }
    }

    /// A budget far below one answer holds back the next request, never the answer itself.
    @Test func answerLargerThanTheBudgetIsSentWholeAndTheNextWaitsForIt() throws {
        let big = 8 * 1024 * 1024
        let handler: HTTPHandler = { request in
            request.path == "/big" ? HTTPResponse(status: .ok, body: .bytes([UInt8](repeating: 7, count: big))) : .text(request.path)
        }
        try HTTPServerTests.withServer({ $0.maxQueuedOutputBytes = 16 * 1024 }, handler: handler) { server, port in
            let client = try HTTPTestClient(port: port, receiveBufferSize: 64 * 1024)
            client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\nGET /small HTTP/1.1\r\nHost: t\r\n\r\n")
            // More than the kernel buffers hold: the server keeps most of it queued and
            // does not take /small meanwhile.
            #expect(HTTPServerTests.eventually { server.stats.snapshot.outputPauses >= 1 })
            #expect(server.stats.snapshot.requestsDispatched == 1)
            let first = client.readResponse()
            #expect(first?.status == 200)
            #expect(first?.body.count == big)
            #expect(first?.body.allSatisfy { $0 == 7 } == true)
            #expect(client.readResponse()?.text == "/small")
        }
    }

    /// `Expect: 100-continue` behind a held-back queue: the interim answer goes out once the
    /// client has read what was before it, and the body is then read and answered.
    @Test func continueIsSentOnceTheQueueAheadOfItIsRead() throws {
        let big = 8 * 1024 * 1024
        let handler: HTTPHandler = { request in
            request.path == "/big"
                ? HTTPResponse(status: .ok, body: .bytes([UInt8](repeating: 7, count: big)))
                : .text("\(request.method) \(request.path) \(String(decoding: request.body, as: UTF8.self))")
        }
        try HTTPServerTests.withServer({ $0.maxQueuedOutputBytes = 16 * 1024 }, handler: handler) { server, port in
            let client = try HTTPTestClient(port: port, receiveBufferSize: 64 * 1024)
            client.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\nPOST /upload HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
            #expect(HTTPServerTests.eventually { server.stats.snapshot.outputPauses >= 1 })
            #expect(client.readResponse()?.body.count == big)
            #expect(client.readResponse()?.status == 100)
            client.send("hello")
            #expect(client.readResponse()?.text == "POST /upload hello")
        }
    }

    /// A stream longer than the budget still streams (it has its own high-water mark), and a
    /// request pipelined behind it is answered after it.
    @Test func streamLongerThanTheBudgetIsDeliveredThenThePipelinedRequest() throws {
        let chunkCount = 40
        let chunk = [UInt8](repeating: UInt8(ascii: "s"), count: 16 * 1024)
        let handler: HTTPHandler = { request in
            guard request.path == "/events" else { return .text(request.path) }
            let produced = HTTPLocked(0)
            let stream = AsyncStream<[UInt8]> {
                let index = produced.withLock { count in
                    defer { count += 1 }
                    return count
                }
                return index < chunkCount ? chunk : nil
            }
            return .eventStream(stream)
        }
        try HTTPServerTests.withServer({ $0.maxQueuedOutputBytes = 8 * 1024 }, handler: handler) { _, port in
            let client = try HTTPTestClient(port: port, receiveBufferSize: 64 * 1024)
            client.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\nGET /after HTTP/1.1\r\nHost: t\r\n\r\n")
            let streamed = client.readResponse()
            #expect(streamed?.status == 200)
            #expect(streamed?.body.count == chunkCount * chunk.count)
            #expect(client.readResponse()?.text == "/after")
        }
    }
}
