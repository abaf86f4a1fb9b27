import Foundation
import HTTP1
import SyncProtocol

/// The HTTP side of talking to a relay: JSON requests with the bearer token, JSON answers,
/// error bodies turned into ``SyncError``. Requests go through ``SocketHTTPClient`` (see
/// there why not URLSession on Linux).
public struct RelayConnection: Sendable {
    public let baseURL: URL
    public let token: String
    let client = SocketHTTPClient()

    public init(baseURL: URL, token: String) {
        self.baseURL = baseURL
        self.token = token
    }

    /// Sends `body` as JSON to `path` and decodes the answer.
    public func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, timeout: TimeInterval = 30) async throws(SyncError) -> Answer {
        let bytes: [UInt8]
        do {
            bytes = Array(try JSONEncoder().encode(body))
        } catch {
            throw .badResponse("could not encode the request: \(error)")
        }
        return try await send("POST", path, bytes, timeout: timeout)
    }

    /// GETs `path` and returns the answer's bytes.
    public func getBytes(_ path: String, timeout: TimeInterval = 15) async throws(SyncError) -> [UInt8] {
        try await exchange("GET", path, [], timeout: timeout)
    }

    /// GETs `path` and decodes the answer.
    public func get<Answer: Decodable>(_ path: String, timeout: TimeInterval = 15) async throws(SyncError) -> Answer {
        try await send("GET", path, [], timeout: timeout)
    }

    private func send<Answer: Decodable>(_ method: String, _ path: String, _ body: [UInt8], timeout: TimeInterval) async throws(SyncError) -> Answer {
        let bytes = try await exchange(method, path, body, timeout: timeout)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch {
            throw .badResponse("\(error)")
        }
    }

    /// One request with the token; the body of a 200 answer, else the relay's error.
    private func exchange(_ method: String, _ path: String, _ body: [UInt8], timeout: TimeInterval) async throws(SyncError) -> [UInt8] {
        var headers = ["Authorization": "Bearer \(token)", "Accept": "application/json"]
        if !body.isEmpty { headers["Content-Type"] = "application/json" }
        let response: SocketHTTPClient.Response
        do {
            response = try await client.send(method: method, url: baseURL.appendingPathComponent(path), headers: headers, body: body, timeout: timeout)
        } catch {
            switch error {
            case .unreachable(let reason): throw .unreachable(reason)
            case .badResponse(let reason): throw .badResponse(reason)
            case .unsupportedURL(let reason): throw .notConfigured(reason)
            }
        }
        guard response.status == 200 else {
            if let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) {
                throw .relay(status: response.status, code: error.error.code, message: error.error.message)
            }
            throw .relay(status: response.status, code: "http_\(response.status)", message: String(decoding: response.body.prefix(200), as: UTF8.self))
        }
        return response.body
    }
}
