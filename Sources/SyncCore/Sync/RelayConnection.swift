import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP side of talking to a relay: JSON requests with the bearer token, JSON answers,
/// error bodies turned into ``SyncError``.
public struct RelayConnection: Sendable {
    public let baseURL: URL
    public let token: String
    let session: URLSession

    public init(baseURL: URL, token: String) {
        self.baseURL = baseURL
        self.token = token
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 4
        session = URLSession(configuration: configuration)
    }

    /// Sends `body` as JSON to `path` and decodes the answer.
    public func post<Body: Encodable, Answer: Decodable>(_ path: String, _ body: Body, timeout: TimeInterval = 30) async throws(SyncError) -> Answer {
        var request = URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        do {
            request.httpBody = try JSONEncoder().encode(body)
        } catch {
            throw .badResponse("could not encode the request: \(error)")
        }
        return try await send(request)
    }

    /// GETs `path` and decodes the answer.
    public func get<Answer: Decodable>(_ path: String, timeout: TimeInterval = 15) async throws(SyncError) -> Answer {
        try await send(URLRequest(url: baseURL.appendingPathComponent(path), timeoutInterval: timeout))
    }

    private func send<Answer: Decodable>(_ original: URLRequest) async throws(SyncError) -> Answer {
        var request = original
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw .unreachable(error.localizedDescription)
        }
        guard let http = response as? HTTPURLResponse else { throw .badResponse("not an HTTP answer") }
        guard http.statusCode == 200 else {
            if let body = try? JSONDecoder().decode(ErrorBody.self, from: data) {
                throw .relay(status: http.statusCode, code: body.error.code, message: body.error.message)
            }
            throw .relay(status: http.statusCode, code: "http_\(http.statusCode)", message: String(decoding: data.prefix(200), as: UTF8.self))
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: data)
        } catch {
            throw .badResponse("\(error)")
        }
    }
}
