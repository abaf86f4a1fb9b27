#if canImport(Glibc)
import Glibc

/// One client connection, confined to its event loop's thread.
///
/// Serves requests strictly in order: it parses the next buffered request only once the
/// previous response has been fully queued, so pipelined responses can never reorder.
///
/// Back-pressure on pipelining clients works at both ends. While a response is pending,
/// reading continues until a modest amount is buffered, then pauses. And once more than
/// ``HTTPServerConfiguration/maxQueuedOutputBytes`` of answers wait unsent, the connection
/// takes no further request and reads nothing until the client has read the queue down
/// to half of that: a client that never reads costs a bounded amount of memory until the
/// write timeout drops it, however many requests it sent.
final class HTTPConnection {
    /// The request being answered.
    struct InFlight {
        var serial: UInt64
        var keepAlive: Bool
        var isHead: Bool
        var version: HTTPVersion
        var task: Task<Void, Never>?
        var framing: HTTPResponseFraming?
    }

    enum Lifecycle: Equatable {
        case open
        /// The last response is queued; close once it is written.
        case closingAfterFlush
        /// Our side is shut down; discard input until EOF or the deadline.
        case lingering(until: UInt64)
        case closed
    }

    let id: UInt64
    let fd: Int32
    let remoteAddress: String
    unowned let loop: HTTPEventLoop
    private var parser: HTTPParser
    private var outbox: [UInt8] = []
    private var outboxOffset = 0
    private(set) var interest: UInt32 = HTTPEpoll.input | HTTPEpoll.readHangUp
    private(set) var lifecycle = Lifecycle.open
    private var inFlight: InFlight?
    private var serial: UInt64 = 0
    private var drainWaiter: CheckedContinuation<Bool, Never>?
    /// Whether dispatching waits for the client to read queued answers (see `processInput`).
    private var waitsForOutputDrain = false
    private var phase = HTTPParser.Phase.idle
    private var phaseStartedAt: UInt64
    private var lastWriteProgress: UInt64

    /// Buffered, unparsed bytes above which reading pauses while a response is pending.
    private static let pipelineBufferLimit = 64 * 1024

    init(id: UInt64, fd: Int32, remoteAddress: String, loop: HTTPEventLoop) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.loop = loop
        parser = HTTPParser(limits: loop.configuration.parserLimits)
        phaseStartedAt = loop.now
        lastWriteProgress = loop.now
    }

    private var pendingOutput: Int { outbox.count - outboxOffset }

    /// Queued output above which no further request is taken.
    private var outputBudget: Int { loop.configuration.maxQueuedOutputBytes }

    // MARK: Events

    func handle(events: UInt32) {
        if events & (HTTPEpoll.error | HTTPEpoll.hangUp) != 0 {
            close()
            return
        }
        if events & HTTPEpoll.output != 0 {
            flush()
            resumeAfterOutputDrain()
        }
        guard lifecycle != .closed else { return }
        if events & HTTPEpoll.input != 0 {
            readAvailable()
        } else if events & HTTPEpoll.readHangUp != 0 {
            // Reading is paused and the peer is gone: nobody will read our answers.
            close()
        }
    }

    private func readAvailable() {
        let count = read(fd, loop.readBuffer.baseAddress, loop.readBuffer.count)
        if count == 0 {
            // The client closed (half-closed clients are treated as gone): cancel work.
            close()
            return
        }
        if count < 0 {
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { close() }
            return
        }
        guard lifecycle == .open else { return }
        parser.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
        if inFlight == nil {
            processInput()
        } else {
            updateInterest()
        }
    }

    /// Parses and dispatches buffered requests until one is in flight, more bytes are
    /// needed, or the client has more answers waiting than the output budget allows.
    private func processInput() {
        while inFlight == nil, lifecycle == .open {
            // The budget is checked before the next request is even parsed: its answer would
            // only queue behind the ones the client is not reading.
            if pendingOutput > outputBudget {
                if !waitsForOutputDrain {
                    waitsForOutputDrain = true
                    loop.stats.outputPaused()
                }
                break
            }
            switch parser.next() {
            case .needMoreData:
                let current = parser.phase
                if current != phase {
                    phase = current
                    phaseStartedAt = loop.now
                }
                updateInterest()
                return
            case .continueRequested:
                enqueue(HTTPResponseEncoder.continueLine)
                flush()
            case .request(var request):
                request.remoteAddress = remoteAddress
                dispatch(request)
            case .failure(let error):
                fail(with: error)
                return
            }
        }
        updateInterest()
    }

    /// Takes requests again once the client has read the queue down to half the budget
    /// (half, so that a client reading slowly does not flip reading on and off per send).
    private func resumeAfterOutputDrain() {
        // While the server shuts down, the connection only drains and closes (see `flush`).
        guard waitsForOutputDrain, lifecycle == .open, !loop.isShuttingDown, pendingOutput <= outputBudget / 2 else { return }
        waitsForOutputDrain = false
        // The wait was for the client; the idle or head deadline starts over from here.
        phaseStartedAt = loop.now
        processInput()
    }

    private func dispatch(_ request: HTTPRequest) {
        serial += 1
        loop.stats.requestDispatched()
        inFlight = InFlight(
            serial: serial,
            keepAlive: request.keepAlive,
            isHead: request.method == "HEAD",
            version: request.version
        )
        let sink = HTTPResponseSink(loop: loop, connectionID: id, serial: serial)
        let handler = loop.handler
        // On the server's own threads: the global pool may be busy with blocking work.
        inFlight?.task = Task(executorPreference: loop.handlerExecutor) {
            let response = await handler(request)
            await sink.send(response)
        }
    }

    // MARK: Responses (called through HTTPResponseSink)

    /// How a streamed response should proceed once its head is queued.
    enum StreamStart {
        case sendBody
        case bodySuppressed
        case gone
    }

    /// Queues a complete response.
    func complete(serial: UInt64, status: HTTPStatus, headers: HTTPHeaders, body: [UInt8]) {
        guard let request = inFlight, request.serial == serial, lifecycle == .open else { return }
        let suppressed = request.isHead || status.forbidsBody
        let framing: HTTPResponseFraming = status.forbidsBody ? .none : .length(body.count)
        enqueueHead(status: status, headers: headers, framing: framing)
        if !suppressed { enqueue(body) }
        finishResponse()
    }

    /// Queues the head of a streamed response.
    func beginStream(serial: UInt64, status: HTTPStatus, headers: HTTPHeaders) -> StreamStart {
        guard let request = inFlight, request.serial == serial, lifecycle == .open else { return .gone }
        if request.isHead || status.forbidsBody {
            enqueueHead(status: status, headers: headers, framing: status.forbidsBody ? .none : .chunked)
            finishResponse()
            return .bodySuppressed
        }
        if !request.version.isAtLeast1_1 { inFlight?.keepAlive = false }
        let framing: HTTPResponseFraming = request.version.isAtLeast1_1 ? .chunked : .none
        inFlight?.framing = framing
        enqueueHead(status: status, headers: headers, framing: framing)
        flush()
        return .sendBody
    }

    /// Queues one chunk; resumes `continuation` with true once there is room for more,
    /// with false when the client is gone.
    func writeChunk(serial: UInt64, _ bytes: [UInt8], continuation: CheckedContinuation<Bool, Never>) {
        guard let request = inFlight, request.serial == serial, lifecycle == .open else {
            continuation.resume(returning: false)
            return
        }
        if request.framing == .chunked {
            enqueue(HTTPResponseEncoder.chunkPrefix(bytes.count))
            enqueue(bytes)
            enqueue(HTTPResponseEncoder.crlf)
        } else {
            enqueue(bytes)
        }
        flush()
        guard lifecycle != .closed else {
            continuation.resume(returning: false)
            return
        }
        if pendingOutput > loop.configuration.streamHighWaterMark {
            drainWaiter = continuation
        } else {
            continuation.resume(returning: true)
        }
    }

    /// Ends a streamed response.
    func endStream(serial: UInt64) {
        guard let request = inFlight, request.serial == serial, lifecycle == .open else { return }
        if request.framing == .chunked { enqueue(HTTPResponseEncoder.lastChunk) }
        finishResponse()
    }

    private func enqueueHead(status: HTTPStatus, headers: HTTPHeaders, framing: HTTPResponseFraming) {
        let close = !(inFlight?.keepAlive ?? false) || loop.isShuttingDown
        if close { inFlight?.keepAlive = false }
        loop.stats.responseStarted(status: status.code)
        enqueue(HTTPResponseEncoder.head(status: status, headers: headers, framing: framing, close: close, date: loop.date))
    }

    private func finishResponse() {
        let keepAlive = inFlight?.keepAlive ?? false
        inFlight = nil
        if keepAlive && !loop.isShuttingDown {
            flush()
            phase = .idle
            phaseStartedAt = loop.now
            if lifecycle == .open { processInput() }
        } else {
            lifecycle = .closingAfterFlush
            flush()
        }
    }

    private func fail(with error: HTTPParseError) {
        loop.stats.responseStarted(status: error.status.code)
        enqueue(HTTPResponseEncoder.error(error, date: loop.date))
        lifecycle = .closingAfterFlush
        flush()
    }

    // MARK: Output

    private func enqueue(_ bytes: [UInt8]) {
        if outbox.isEmpty {
            outbox = bytes
        } else {
            outbox.append(contentsOf: bytes)
        }
        loop.observeQueuedOutput(pendingOutput)
    }

    private func flush() {
        while pendingOutput > 0 {
            let written = outbox.withUnsafeBytes { bytes in
                send(fd, bytes.baseAddress! + outboxOffset, pendingOutput, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outboxOffset += written
                lastWriteProgress = loop.now
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                break
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                close()
                return
            }
        }
        if pendingOutput == 0 {
            outbox = []
            outboxOffset = 0
            if lifecycle == .open, inFlight == nil, loop.isShuttingDown {
                lifecycle = .closingAfterFlush
            }
            if lifecycle == .closingAfterFlush {
                Glibc.shutdown(fd, Int32(SHUT_WR))
                // While shutting down, linger briefly: the server is waiting on us.
                let linger = loop.isShuttingDown
                    ? min(loop.configuration.lingerTimeout.nanoseconds, 100_000_000)
                    : loop.configuration.lingerTimeout.nanoseconds
                lifecycle = .lingering(until: loop.now + linger)
            }
        } else if outboxOffset > 64 * 1024, outboxOffset > outbox.count / 2 {
            outbox.removeSubrange(..<outboxOffset)
            outboxOffset = 0
        }
        if let waiter = drainWaiter, pendingOutput <= loop.configuration.streamHighWaterMark {
            drainWaiter = nil
            waiter.resume(returning: true)
        }
        updateInterest()
    }

    private func updateInterest() {
        guard lifecycle != .closed else { return }
        let reading: Bool
        switch lifecycle {
        case .open:
            reading = !waitsForOutputDrain && (inFlight == nil || parser.bufferedByteCount < Self.pipelineBufferLimit)
        default: reading = true
        }
        var wanted = HTTPEpoll.readHangUp
        if reading { wanted |= HTTPEpoll.input }
        if pendingOutput > 0 { wanted |= HTTPEpoll.output }
        if wanted != interest {
            interest = wanted
            loop.updateInterest(of: fd, id: id, events: wanted)
        }
    }

    // MARK: Deadlines and closing

    func checkDeadlines(now: UInt64) {
        let configuration = loop.configuration
        if pendingOutput > 0, now - lastWriteProgress > configuration.writeTimeout.nanoseconds {
            close()
            return
        }
        switch lifecycle {
        case .lingering(let until):
            if now >= until { close() }
        case .open where inFlight == nil && !waitsForOutputDrain:
            // While waiting for the client to read, the write timeout above is the deadline.
            let elapsed = now - phaseStartedAt
            switch phase {
            case .idle where elapsed > configuration.idleTimeout.nanoseconds:
                close()
            case .head where elapsed > configuration.requestHeadTimeout.nanoseconds:
                fail(with: .headTimeout)
            case .body where elapsed > configuration.requestBodyTimeout.nanoseconds:
                fail(with: .bodyTimeout)
            default:
                break
            }
        default:
            break
        }
    }

    /// Server shutdown: close now unless a response is on its way.
    func shutdownRequested() {
        if lifecycle == .open, inFlight == nil, pendingOutput == 0 {
            close()
        }
    }

    /// Closes the socket at once, cancelling the handler or stream still running.
    func close() {
        guard lifecycle != .closed else { return }
        lifecycle = .closed
        loop.remove(self)
        Glibc.close(fd)
        inFlight?.task?.cancel()
        inFlight = nil
        if let waiter = drainWaiter {
            drainWaiter = nil
            waiter.resume(returning: false)
        }
        outbox = []
        outboxOffset = 0
    }
}
#endif
