import Foundation
import HTTP1

extension SyncHarness {
    /// Sends one request to the relay with `token` and returns the raw answer.
    public func request(_ method: String, _ path: String, token: String, body: String = "", headers: [String: String] = [:]) async throws
        -> RelayAnswer {
        var all = headers
        all["Authorization"] = "Bearer \(token)"
        if !body.isEmpty { all["Content-Type"] = "application/json" }
        let answer = try await SocketHTTPClient().send(method: method, url: URL(string: url + path)!, headers: all,
                                                       body: Array(body.utf8), timeout: 15)
        return RelayAnswer(status: answer.status, body: answer.body)
    }

    /// An integration write with an idempotency key.
    public func integrationPost(_ path: String, token: String, key: String? = UUID().uuidString, _ body: String) async throws
        -> RelayAnswer {
        try await request("POST", path, token: token, body: body, headers: key.map { ["Idempotency-Key": $0] } ?? [:])
    }
}
