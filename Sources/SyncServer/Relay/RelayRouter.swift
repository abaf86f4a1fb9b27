import CanonicalJSON
import HTTP1

/// Maps requests to ``RelayRoute``s and answers the rest with ``RelayError``s.
///
/// A path no route matches gets 404 `not_found`; a path matched only for other methods gets
/// 405 `method_not_allowed` with `Allow`. Routes are tried in the order they were added.
///
/// ```swift
/// var router = RelayRouter.standard(relay: relay)
/// router.add(RelayRoute("POST", "/v1/sync") { request in await relay.sync(request) })
/// ```
public struct RelayRouter: Sendable {
    /// The routes, in matching order.
    public private(set) var routes: [RelayRoute] = []

    public init(routes: [RelayRoute] = []) {
        for route in routes { add(route) }
    }

    /// Adds a route after the existing ones.
    /// - Precondition: no route has the same method and pattern.
    public mutating func add(_ route: RelayRoute) {
        precondition(
            !routes.contains { $0.method == route.method && $0.pattern == route.pattern },
            "route \(route.method) \(route.pattern) added twice")
        routes.append(route)
    }

    /// The response to `request`.
    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        var allowed: [String] = []
        for route in routes {
            guard let parameters = route.match(request.path) else { continue }
            guard route.method == request.method else {
                if !allowed.contains(route.method) { allowed.append(route.method) }
                continue
            }
            return await route.handler(RelayRequest(http: request, parameters: parameters))
        }
        if !allowed.isEmpty {
            var response = RelayError(
                .methodNotAllowed, "\(request.method) is not supported on \(request.path); use \(allowed.joined(separator: " or "))"
            ).response
            response.headers.add(name: "Allow", value: allowed.joined(separator: ", "))
            return response
        }
        return RelayError(.notFound, "no endpoint at \(request.path); the endpoints are /v1/sync, /v1/whoami, /v1/integration/deals, /v1/analytics, /healthz and /metrics (protocol-spec/sync.md)").response
    }
}

extension RelayRouter {
    /// The routes every relay serves: `GET /healthz` and `GET /metrics`.
    public static func standard(relay: Relay) -> RelayRouter {
        RelayRouter(routes: [
            RelayRoute("GET", "/healthz") { _ in relay.healthResponse() },
            RelayRoute("GET", "/metrics") { _ in await relay.metricsResponse() },
        ] + syncRoutes(relay: relay)
            + integrationRoutes(relay: relay))
    }
}

extension Relay {
    /// `{"status":"ok","uptime_seconds":12.5,"version":"0.1.0"}`; 503 with
    /// `"status":"unavailable"` once the relay is closed.
    ///
    /// Answered off the actor, so a health check never waits behind a long request.
    nonisolated func healthResponse() -> HTTPResponse {
        let healthy = !closedFlag.load(ordering: .acquiring)
        let uptime = RelayTime.milliseconds(ContinuousClock.now - startedAt) / 1000
        let body = SchemaJSON.object([
            "status": .string(healthy ? "ok" : "unavailable"),
            "version": .string(version),
            "uptime_seconds": .number(String(uptime)),
        ])
        return .json(body.canonicalBytes + [0x0A], status: healthy ? .ok : .serviceUnavailable)
    }

    /// The Prometheus exposition of ``metrics``.
    func metricsResponse() -> HTTPResponse {
        let text = metrics.render(storeSizeBytes: storeSizeBytes())
        return HTTPResponse(status: .ok, headers: ["Content-Type": MetricsRegistry.contentType], body: .bytes(Array(text.utf8)))
    }
}
