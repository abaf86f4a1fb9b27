/// Everything an ``HTTPServer`` can be tuned with; the defaults suit a sync relay.
///
/// Limits answer with the status named on each property and then close the connection.
/// Timeouts are checked every ``tickInterval``, so they fire up to that much late.
public struct HTTPServerConfiguration: Sendable {
    /// The address to listen on. Default `127.0.0.1`; `0.0.0.0` or `::` for every interface.
    public var host = "127.0.0.1"
    /// The TCP port; 0 lets the kernel pick a free one (read it back from `start()`). Default 8080.
    public var port = 8080
    /// Event-loop threads; each owns an epoll instance and its connections. Default 2.
    public var eventLoopCount = 2
    /// Threads that run handler tasks (``HTTPServer/handlerExecutor``), apart from Swift's
    /// global pool. Handlers that block (SQLite, file I/O) hold one each while they do,
    /// so size this for the blocking calls expected at once. Default 4.
    public var handlerThreadCount = 4
    /// The `listen` backlog (the kernel caps it at `net.core.somaxconn`). Default 4096.
    public var backlog: Int32 = 4096

    /// The longest request line in bytes, without CRLF; longer gets 414. Default 8 KiB.
    public var maxRequestLineLength = 8 * 1024
    /// The most header fields (trailers included); more gets 431. Default 100.
    public var maxHeaderCount = 100
    /// The most bytes in the header section (trailers included); more gets 431. Default 16 KiB.
    public var maxHeaderBytes = 16 * 1024
    /// The largest request body after chunked decoding; larger gets 413. Default 8 MiB.
    public var maxBodyBytes = 8 * 1024 * 1024
    /// Whether POST, PUT and PATCH without `Content-Length` or `Transfer-Encoding` get 411
    /// (RFC 9110 §15.5.12) instead of being read as an empty body. Default true: a body
    /// method without a length is almost always a client bug, and failing loudly beats
    /// handing the handler a silently empty document.
    public var requireLengthForBodyMethods = true

    /// How long a keep-alive connection may wait for the next request; then it is closed
    /// silently. Default 60 s.
    public var idleTimeout: Duration = .seconds(60)
    /// How long the request line and header section may take from their first byte;
    /// then 408. This is what stops a slow-loris client. Default 10 s.
    public var requestHeadTimeout: Duration = .seconds(10)
    /// How long the body may take from the end of the head; then 408. Default 30 s.
    public var requestBodyTimeout: Duration = .seconds(30)
    /// How long queued response bytes may wait without the client reading any; then the
    /// connection is dropped. Default 30 s.
    public var writeTimeout: Duration = .seconds(30)
    /// How long ``HTTPServer/shutdown()`` lets in-flight requests finish. Default 10 s.
    public var shutdownGracePeriod: Duration = .seconds(10)
    /// How long a closing connection keeps reading (and discarding) after its last
    /// response, so the client sees the response rather than a reset. Default 2 s.
    public var lingerTimeout: Duration = .seconds(2)
    /// How often timeouts are checked. Default 100 ms.
    public var tickInterval: Duration = .milliseconds(100)

    /// Queued response bytes above which a streaming body waits for the client. Default 64 KiB.
    public var streamHighWaterMark = 64 * 1024
    /// The most response bytes a connection may hold queued and unsent before it stops
    /// taking further requests. Default 256 KiB.
    ///
    /// A pipelining client that does not read its answers would otherwise make the server
    /// parse, run and buffer every request it sent. Above this budget the connection
    /// neither reads nor dispatches until the client has taken the queue down to half of
    /// it; ``writeTimeout`` still drops a client that never reads. A single response larger
    /// than the budget is still sent whole: the budget only holds back the next request.
    public var maxQueuedOutputBytes = 256 * 1024
    /// Raise the soft `RLIMIT_NOFILE` to the hard limit on `start()`, so one process can
    /// hold tens of thousands of connections. Default true.
    public var raiseFileDescriptorLimit = true

    public init() {}

    /// A configuration listening on `host:port` with every other value at its default.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    var parserLimits: HTTPParser.Limits {
        HTTPParser.Limits(
            maxRequestLineLength: maxRequestLineLength,
            maxHeaderCount: maxHeaderCount,
            maxHeaderBytes: maxHeaderBytes,
            maxBodyBytes: maxBodyBytes,
            requireLengthForBodyMethods: requireLengthForBodyMethods
        )
    }

    /// A description of the first invalid value, or nil.
    var validationFailure: String? {
        if !(1...256).contains(eventLoopCount) { return "eventLoopCount must be 1...256, got \(eventLoopCount)" }
        if !(1...256).contains(handlerThreadCount) { return "handlerThreadCount must be 1...256, got \(handlerThreadCount)" }
        if !(0...65535).contains(port) { return "port must be 0...65535, got \(port)" }
        if maxRequestLineLength < 16 { return "maxRequestLineLength must be at least 16" }
        if maxHeaderCount < 1 { return "maxHeaderCount must be at least 1" }
        if maxHeaderBytes < 64 { return "maxHeaderBytes must be at least 64" }
        if maxBodyBytes < 0 { return "maxBodyBytes must not be negative" }
        if maxQueuedOutputBytes < 0 { return "maxQueuedOutputBytes must not be negative (0 answers one request at a time)" }
        if tickInterval <= .zero { return "tickInterval must be positive" }
        return nil
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating; negative durations count as zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
