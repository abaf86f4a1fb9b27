import Foundation
import CRDT
import HTTP1

extension RelayRouter {
    /// The integration and analytics endpoints (protocol-spec/integration.md):
    /// `POST /v1/integration/deals`, `POST /v1/integration/deals/{deal}` and `GET /v1/analytics`.
    static func integrationRoutes(relay: Relay) -> [RelayRoute] {
        @Sendable func write(_ request: RelayRequest, deal: String?) async -> HTTPResponse {
            switch await relay.authenticate(request.http) {
            case .failure(let error): return error.response
            case .success(let token):
                let result = await relay.integrationWrite(body: request.http.body, deal: deal,
                                                          idempotencyKey: request.http.headers["Idempotency-Key"], token: token)
                switch result {
                case .failure(let error): return error.response
                case .success(let stored):
                    guard (200...599).contains(stored.status) else {
                        return RelayError(.internalError, "a stored answer has status \(stored.status)").response
                    }
                    return .json(stored.body, status: HTTPStatus(stored.status))
                }
            }
        }
        return [
            RelayRoute("POST", "/v1/integration/deals") { request in await write(request, deal: nil) },
            RelayRoute("POST", "/v1/integration/deals/{deal}") { request in await write(request, deal: request.parameters["deal"]) },
            RelayRoute("GET", "/v1/analytics") { request in
                switch await relay.authenticate(request.http) {
                case .failure(let error): return error.response
                case .success(let token):
                    var idleDays = DealAnalytics.defaultIdleDays
                    if let text = request.http.query("idleDays") {
                        guard let days = Int(text), (0...DealAnalytics.maximumIdleDays).contains(days) else {
                            return RelayError(.badRequest, "idleDays must be a whole number of days within 0…\(DealAnalytics.maximumIdleDays), got \"\(text.prefix(40))\"").response
                        }
                        idleDays = days
                    }
                    switch await relay.analytics(token: token, idleDays: idleDays) {
                    case .failure(let error): return error.response
                    case .success(let report): return jsonResponse(report)
                    }
                }
            },
        ]
    }
}
