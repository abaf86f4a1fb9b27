import CanonicalJSON
import HTTP1

/// Every error the relay answers a request with: a stable code, the HTTP status, and a
/// message that says what was wrong and what to do.
///
/// On the wire it is a JSON body `{"error":{"code":"expired_token","message":"…"}}` with the
/// status of its ``Code``. Clients switch on ``code``; the message is for people and may change.
public struct RelayError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong; the raw value is the `code` on the wire and never changes.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// 401: the request has no `Authorization` header.
        case missingToken = "missing_token"
        /// 401: the `Authorization` header is not `Bearer <token>`, the token does not have
        /// the shape of a sync token, or no such token was ever issued.
        case invalidToken = "invalid_token"
        /// 401: the token was revoked by an operator; the device must be given a new one.
        case revokedToken = "revoked_token"
        /// 401: the token's lifetime is over; the device must be given a new one.
        case expiredToken = "expired_token"
        /// 403: the token is valid but its role, dealership or deal scope does not allow this.
        case forbidden = "forbidden"
        /// 400: the request is malformed (a bad parameter, body or encoding).
        case badRequest = "bad_request"
        /// 404: no such endpoint or resource.
        case notFound = "not_found"
        /// 405: the endpoint exists but not for this method.
        case methodNotAllowed = "method_not_allowed"
        /// 409: the request conflicts with what the relay already holds.
        case conflict = "conflict"
        /// 409: the request's cursor is past this relay's log: its data was replaced (restored,
        /// recreated); the device forgets its cursor and syncs again from 0.
        case cursorAhead = "cursor_ahead"
        /// 409: the request's cursor is behind the position the relay compacted its history
        /// through: changes it has not seen are gone from the log; the device syncs again from
        /// 0 (snapshots) and re-makes its edits made before the horizon on top of them.
        case historyCompacted = "history_compacted"
        /// 413: the write would pass a budget of the card (a value, a change or a document
        /// too large); nothing was stored.
        case tooLarge = "too_large"
        /// 422: an `Idempotency-Key` already answered another request (another path or body);
        /// a new write needs a new key, a retry must resend the same request.
        case idempotencyKeyReused = "idempotency_key_reused"
        /// 503: the relay is shutting down or its store is unavailable; retry later.
        case unavailable = "unavailable"
        /// 500: a fault inside the relay; the details are in the relay's log, not the response.
        case internalError = "internal_error"

        /// The HTTP status this code is answered with.
        public var status: HTTPStatus {
            switch self {
            case .missingToken, .invalidToken, .revokedToken, .expiredToken: .unauthorized
            case .forbidden: .forbidden
            case .badRequest: .badRequest
            case .notFound: .notFound
            case .methodNotAllowed: .methodNotAllowed
            case .conflict, .cursorAhead, .historyCompacted: .conflict
            case .tooLarge: .contentTooLarge
            case .idempotencyKeyReused: .unprocessableContent
            case .unavailable: .serviceUnavailable
            case .internalError: .internalServerError
            }
        }
    }

    /// The error's kind.
    public let code: Code
    /// One or two sentences for people.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status of ``code``.
    public var status: HTTPStatus { code.status }

    public var description: String { "\(code.rawValue): \(message)" }

    /// The JSON body: `{"error":{"code":"…","message":"…"}}`.
    public var jsonBody: [UInt8] {
        SchemaJSON.object([
            "error": .object(["code": .string(code.rawValue), "message": .string(message)])
        ]).canonicalBytes + [0x0A]
    }

    /// The complete response; 401s carry `WWW-Authenticate: Bearer` (RFC 6750).
    public var response: HTTPResponse {
        var response = HTTPResponse.json(jsonBody, status: status)
        if status == .unauthorized {
            let error = code == .missingToken ? "" : ", error=\"invalid_token\""
            response.headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"sync\"" + error)
        }
        return response
    }
}
