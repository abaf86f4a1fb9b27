import Foundation
import DealCardKit
import HTTP1
import SyncProtocol

extension RelayRouter {
    /// The sync endpoints: `POST /v1/sync` and `GET /v1/whoami` (protocol-spec/sync.md).
    static func syncRoutes(relay: Relay) -> [RelayRoute] {
        [
            RelayRoute("POST", "/v1/sync") { request in
                switch await relay.authenticate(request.http) {
                case .failure(let error): return error.response
                case .success(let token):
                    let received: ReceivedSyncRequest
                    do {
                        received = try JSONDecoder().decode(ReceivedSyncRequest.self, from: Data(request.http.body))
                    } catch {
                        return RelayError(.badRequest, "the body is not a sync request: \(describe(error))").response
                    }
                    // Decoding is pure and heavy: done here, on this request's thread, not on
                    // the relay actor that every request shares.
                    let decoded = DecodedPush.decode(received.push)
                    switch await relay.sync(received.message, decoded: decoded, token: token) {
                    case .failure(let error): return error.response
                    case .success(.ready(let response)):
                        // Rewritten here, off the actor, for a device that reads only version 1.
                        switch Relay.snapshotsReadable(response, formats: received.message.snapshotFormats) {
                        case .success(let readable): return jsonResponse(readable)
                        case .failure(let error): return error.response
                        }
                    case .success(.waiting(let ticket)):
                        // Awaited here, off the actor; the answer comes encoded, shared.
                        switch await relay.outcome(of: ticket) {
                        case .answered(let answer): return .json(answer.body)
                        case .failed(let error): return error.response
                        case .abandoned: return Relay.abandonedError.response
                        }
                    }
                }
            },
            RelayRoute("GET", "/v1/schema") { request in
                switch await relay.authenticate(request.http) {
                case .failure(let error): return error.response
                case .success: return .json(relay.schemaJSON)
                }
            },
            RelayRoute("GET", "/v1/whoami") { request in
                switch await relay.authenticate(request.http) {
                case .failure(let error): return error.response
                case .success(let token):
                    return jsonResponse(WhoAmI(user: token.user, role: token.role, dealership: token.dealership,
                                               device: token.device, deal: token.deal.flatMap(DealID.init)))
                }
            },
        ]
    }
}

/// A sync request as the relay reads it: the members of ``SyncRequest``, but the push items'
/// deal and document kept as text (``DecodedPush/Received``), so that an item naming no valid
/// deal is refused alone instead of failing the request. `message` holds the other members
/// (its `push` is empty: the relay reads the items from `push`). Decodes the members
/// `SyncRequest` decodes, in the same order (so errors name the same first problem); keep
/// the two in step.
struct ReceivedSyncRequest: Decodable {
    var message: SyncRequest
    var push: [DecodedPush.Received]

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", cursor, push, wait, limit, snapshotsAfter, bootstrapCursor, closedDealDays, fetch,
             snapshotFormats
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let protocolVersion = try container.decode(Int.self, forKey: .protocolVersion)
        let cursor = try container.decode(LogPosition.self, forKey: .cursor)
        push = try container.decode([DecodedPush.Received].self, forKey: .push)
        message = SyncRequest(cursor: cursor, push: [], wait: try container.decode(Int.self, forKey: .wait),
                              limit: try container.decodeIfPresent(Int.self, forKey: .limit))
        message.protocolVersion = protocolVersion
        message.snapshotsAfter = try container.decodeIfPresent(DealID.self, forKey: .snapshotsAfter)
        message.bootstrapCursor = try container.decodeIfPresent(LogPosition.self, forKey: .bootstrapCursor)
        message.closedDealDays = try container.decodeIfPresent(Int.self, forKey: .closedDealDays)
        message.fetch = try container.decodeIfPresent([DealID].self, forKey: .fetch)
        // Absent means a device from before snapshot format 2 (not this build's default).
        message.snapshotFormats = try container.decodeIfPresent([Int].self, forKey: .snapshotFormats)
    }
}

/// A 200 answer with `value` as JSON (``encodeAnswer(_:)``).
func jsonResponse(_ value: some Encodable) -> HTTPResponse {
    do {
        return .json(try encodeAnswer(value))
    } catch {
        return RelayError(.internalError, "could not encode the answer: \(error)").response
    }
}

/// `value` as the relay's answers are written: JSON with sorted keys, slashes unescaped.
func encodeAnswer(_ value: some Encodable) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value))
}

/// A decoding error in a sentence: which field and what was wrong.
func describe(_ error: any Error) -> String {
    guard let decoding = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let joined = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return joined.isEmpty ? "the body" : joined
    }
    switch decoding {
    case .keyNotFound(let key, let context): return "\(path(context)): missing field \"\(key.stringValue)\""
    case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
        return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
