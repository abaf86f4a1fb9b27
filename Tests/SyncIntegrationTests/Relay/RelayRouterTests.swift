import Foundation
import CanonicalJSON
import HTTP1
import SyncServer
import Testing
import TestSupport

/// Routing: patterns with parameters, 404 and 405 as JSON errors, and the standard endpoints.
@Suite("Relay router")
struct RelayRouterTests {
    func body(_ response: HTTPResponse) -> [UInt8] {
        if case .bytes(let bytes) = response.body { return bytes }
        return []
    }

    func errorCode(_ response: HTTPResponse) throws -> String? {
        guard case .object(let object) = try SchemaJSON(parsing: body(response)),
            case .object(let error)? = object["error"]
        else { return nil }
        return error["code"]?.stringValue
    }

    @Test func matchesPatternsAndPassesParameters() async throws {
        let router = RelayRouter(routes: [
            RelayRoute("GET", "/v1/deals/{deal}/changes") { request in .text("changes of \(request.parameters["deal"]!)") },
            RelayRoute("POST", "/v1/deals/{deal}/changes") { _ in .text("posted", status: .created) },
            RelayRoute("GET", "/v1/deals") { _ in .text("all") },
        ])
        let get = await router.respond(to: try HTTPRequest(method: "GET", target: "/v1/deals/d%2042/changes?after=3"))
        #expect(String(decoding: body(get), as: UTF8.self) == "changes of d 42")
        let post = await router.respond(to: try HTTPRequest(method: "POST", target: "/v1/deals/d1/changes"))
        #expect(post.status == .created)
        #expect(String(decoding: body(await router.respond(to: try HTTPRequest(method: "GET", target: "/v1/deals"))), as: UTF8.self) == "all")

        for target in ["/v1/deals//changes", "/v1/deals/d1", "/v1/deals/", "/nope", "/v1/deals/d1/changes/x"] {
            let response = await router.respond(to: try HTTPRequest(method: "GET", target: target))
            #expect(response.status == .notFound, "\(target)")
            #expect(try errorCode(response) == "not_found")
        }
        let put = await router.respond(to: try HTTPRequest(method: "PUT", target: "/v1/deals/d1/changes"))
        #expect(put.status == .methodNotAllowed)
        #expect(put.headers["Allow"] == "GET, POST")
        #expect(try errorCode(put) == "method_not_allowed")
    }

    @Test func healthAndMetricsEndpoints() async throws {
        let directory = try TemporaryDirectory()
        let relay = Relay(storage: try SQLiteRelayStorage(directory: directory.path), version: "9.9.9")
        let router = RelayRouter.standard(relay: relay)

        let health = await router.respond(to: try HTTPRequest(method: "GET", target: "/healthz"))
        #expect(health.status == .ok)
        guard case .object(let object) = try SchemaJSON(parsing: body(health)) else {
            Issue.record("healthz is not a JSON object")
            return
        }
        #expect(object["status"] == .string("ok"))
        #expect(object["version"] == .string("9.9.9"))
        if case .number(let uptime)? = object["uptime_seconds"] {
            #expect((Double(uptime) ?? -1) >= 0)
        } else {
            Issue.record("uptime_seconds is not a number")
        }

        let metrics = await router.respond(to: try HTTPRequest(method: "GET", target: "/metrics"))
        #expect(metrics.headers["Content-Type"] == MetricsRegistry.contentType)
        let text = String(decoding: body(metrics), as: UTF8.self)
        let sizeLine = text.split(separator: "\n").first { $0.hasPrefix("relay_store_size_bytes ") }
        #expect((sizeLine.flatMap { Int($0.split(separator: " ")[1]) } ?? 0) > 0)

        await relay.close()
        let closed = await router.respond(to: try HTTPRequest(method: "GET", target: "/healthz"))
        #expect(closed.status == .serviceUnavailable)
    }
}
