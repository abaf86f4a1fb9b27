#if canImport(Glibc)
import Foundation
import Synchronization
import DealCardKit
import HTTP1

/// `sync-server serve`: the relay's storage, router and HTTP server, started and stopped as one.
///
/// ```swift
/// let server = try RelayServer(configuration: .init(dataDirectory: "./sync-data", port: 0))
/// let url = try server.start()          // "http://127.0.0.1:40123"
/// await server.runUntilShutdownSignal() // SIGTERM/SIGINT: drain, close the store
/// ```
public final class RelayServer: Sendable {
    /// Where the relay keeps its data and where it listens.
    public struct Configuration: Sendable {
        /// The data folder (created when missing); holds `relay.sqlite` and its lock.
        public var dataDirectory: String
        /// The address to listen on.
        public var host: String
        /// The port; 0 lets the kernel pick one.
        public var port: Int
        /// An upstream relay to sync with as a device (a showroom relay on the manager PC
        /// syncing to the dealership group's relay); nil for a top-level relay.
        public var upstream: UpstreamConfiguration?
        /// The deal-card schema (the built-in one, or a dealer group's extension of it).
        public var schema: DealSchema
        /// A shared PostgreSQL database (a libpq connection string or `postgresql://` URL)
        /// instead of the data folder: any number of relay nodes may serve it at once.
        public var postgres: String?

        /// Where the data is kept.
        public var store: RelayStore { RelayStore(dataDirectory: dataDirectory, postgres: postgres) }

        public init(dataDirectory: String = "./sync-data", host: String = "127.0.0.1", port: Int = 8080,
                    upstream: UpstreamConfiguration? = nil, schema: DealSchema = .standard, postgres: String? = nil) {
            self.postgres = postgres
            self.upstream = upstream
            self.schema = schema
            self.dataDirectory = dataDirectory
            self.host = host
            self.port = port
        }
    }

    public let configuration: Configuration
    /// The relay behind the routes.
    public let relay: Relay
    private let http: HTTPServer
    private let log: RelayLog
    private let signalHandlers = Mutex<HTTPShutdownSignalHandlers?>(nil)
    private let upstreamTask = Mutex<Task<Void, Never>?>(nil)
    private let analyticsTask = Mutex<Task<Void, Never>?>(nil)
    /// Stops the PostgreSQL log listener (`--postgres`), if one runs.
    private let logListener = Mutex<(any StoppableListener)?>(nil)

    /// Opens the store (taking its lock) and prepares the server; nothing listens yet.
    ///
    /// - Parameter routes: extra routes, tried after `/healthz` and `/metrics`.
    /// - Throws: `SQLiteStoreError.locked` when another relay uses the folder; storage and
    ///   ``HTTPServerError`` errors.
    public init(configuration: Configuration, log: RelayLog = .standardError, routes: [RelayRoute] = []) throws {
        self.configuration = configuration
        self.log = log
        let relay = Relay(storage: try configuration.store.open(), schema: configuration.schema, log: log)
        self.relay = relay
        var router = RelayRouter.standard(relay: relay)
        for route in routes { router.add(route) }
        let metrics = relay.metrics
        let finalRouter = router
        // When this throws, the relay is released and its store closes (and unlocks) in deinit.
        http = try HTTPServer(configuration: HTTPServerConfiguration(host: configuration.host, port: configuration.port)) { request in
            let started = ContinuousClock.now
            let response = await finalRouter.respond(to: request)
            metrics.countRequest(status: response.status.code)
            log.request(method: request.method, path: request.path, status: response.status.code, duration: ContinuousClock.now - started)
            return response
        }
        metrics.observe(http.stats)
    }

    /// Binds and starts accepting connections.
    /// - Returns: the URL clients use, such as `http://127.0.0.1:40123`.
    /// - Throws: ``HTTPServerError`` when the address cannot be bound.
    @discardableResult
    public func start() throws -> String {
        let port = try http.start()
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let url = "http://\(host):\(port)"
        log.log("started", [
            "url": .string(url), "store": .string(configuration.store.description), "version": .string(relay.version),
            "pid": .integer(Int64(getpid())),
        ])
        // Stale analytics rows (an old store's, say) are computed now, in slices, so the
        // first report does not wait for them.
        let relay = self.relay
        analyticsTask.withLock { $0 = Task { await relay.prepareAnalyticsRows() } }
#if PostgreSQL
        if let postgres = configuration.postgres {
            // Other nodes' commits: let go of what they changed, wake the long-polls.
            let listener = PostgresLogListener(connectionString: postgres, log: log) { [relay] in
                Task { try? await relay.noticeOtherNodes() }
            }
            listener.start()
            logListener.withLock { $0 = listener }
        }
#endif
        if let upstream = configuration.upstream {
            let log = self.log
            let dataDirectory = configuration.dataDirectory
            upstreamTask.withLock { $0 = Task { await relay.runUpstream(upstream, dataDirectory: dataDirectory, log: log) } }
            log.log("upstream", ["url": .string(upstream.url.absoluteString)])
        }
        return url
    }

    /// Waits for SIGTERM or SIGINT, then stops: no new connections, in-flight requests
    /// finish (up to the HTTP grace period), the store is closed. Returns when all is done.
    public func runUntilShutdownSignal() async {
        let log = self.log
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let handlers = http.installShutdownSignalHandlers {
                log.log("stopping", ["reason": .string("signal")])
                continuation.resume()
            }
            signalHandlers.withLock { $0 = handlers }
        }
        upstreamTask.withLock { $0?.cancel() }
        analyticsTask.withLock { $0?.cancel() }
        logListener.withLock { $0?.stop() }
        await relay.close()
        log.log("stopped")
    }

    /// Stops at once without a signal (for tests and embedding): drains and closes the store.
    public func stop() async {
        // HTTPServer.shutdown() blocks until the loops end: keep it off the cooperative pool.
        let http = self.http
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                http.shutdown()
                continuation.resume()
            }
        }
        upstreamTask.withLock { $0?.cancel() }
        analyticsTask.withLock { $0?.cancel() }
        logListener.withLock { $0?.stop() }
        await relay.close()
        log.log("stopped")
    }
}
#endif
