/// Carries a handler's response from its task to the connection on the event loop.
///
/// Holds only ids: the connection may be gone by the time the response is ready, in
/// which case every operation is a no-op (and a stream is abandoned, which cancels it).
struct HTTPResponseSink: Sendable {
    let loop: HTTPEventLoop
    let connectionID: UInt64
    let serial: UInt64

    /// Sends the response; for a stream, returns once it ended or the client left.
    func send(_ response: HTTPResponse) async {
        let (loop, id, serial) = (loop, connectionID, serial)
        let status = response.status
        let headers = response.headers
        switch response.body {
        case .bytes(let bytes):
            loop.execute {
                loop.connection(id)?.complete(serial: serial, status: status, headers: headers, body: bytes)
            }
        case .stream(let stream):
            let start = await withCheckedContinuation { (continuation: CheckedContinuation<HTTPConnection.StreamStart, Never>) in
                loop.execute {
                    let start = loop.connection(id)?.beginStream(serial: serial, status: status, headers: headers)
                    continuation.resume(returning: start ?? .gone)
                }
            }
            guard start == .sendBody else { return }
            // Leaving this loop early (client gone, task cancelled) drops the iterator,
            // which terminates the stream with `.cancelled`.
            for await chunk in stream where !chunk.isEmpty {
                let accepted = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                    loop.execute {
                        guard let connection = loop.connection(id) else {
                            continuation.resume(returning: false)
                            return
                        }
                        connection.writeChunk(serial: serial, chunk, continuation: continuation)
                    }
                }
                guard accepted else { return }
            }
            loop.execute {
                loop.connection(id)?.endStream(serial: serial)
            }
        }
    }
}
