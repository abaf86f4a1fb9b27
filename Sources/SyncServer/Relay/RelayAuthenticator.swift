import Foundation

/// Turns a request's `Authorization: Bearer <token>` header into the token's record.
///
/// Pure: the caller passes the clock reading and the lookup, so the rules are tested without a
/// store. ``Relay/authenticate(_:now:)`` wires it to the relay's storage.
///
/// Timing: the token is looked up by its SHA-256 hash, so how long the index lookup takes
/// depends only on a hash the client cannot steer towards a stored one; the stored hash is then
/// compared with ``constantTimeEquals(_:_:)`` (through ``SecretToken/matches(_:storedHash:)``).
public enum RelayAuthenticator {
    /// The record of the token presented in `authorization`, if it is issued, not revoked and
    /// not expired at `now`.
    ///
    /// - Parameters:
    ///   - authorization: the `Authorization` header's value, nil when absent.
    ///   - lookup: finds a token by its stored hash (``RelayStorage/token(forHash:)``).
    /// - Returns: the record, or ``RelayError`` with code `missing_token`, `invalid_token`,
    ///   `revoked_token` or `expired_token`; `unavailable` when `lookup` throws.
    public static func authenticate(
        authorization: String?, now: Date, lookup: (String) throws -> TokenRecord?
    ) -> Result<TokenRecord, RelayError> {
        guard let authorization, !authorization.allSatisfy(\.isWhitespace) else {
            return .failure(RelayError(
                .missingToken, "this endpoint needs a token: send 'Authorization: Bearer <token>'"))
        }
        let parts = authorization.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            return .failure(RelayError(
                .invalidToken, "the Authorization header must be 'Bearer <token>' with a token issued by 'sync-server token issue'"))
        }
        let presented = String(parts[1])
        guard SecretToken(parsing: presented) != nil else {
            return .failure(RelayError(
                .invalidToken, "the bearer token is not a sync token (expected '\(SecretToken.prefix)' and 43 characters)"))
        }
        let record: TokenRecord?
        do {
            record = try lookup(SecretToken.storedHash(of: presented))
        } catch {
            return .failure(RelayError(.unavailable, "the relay cannot read its token store right now; retry later"))
        }
        guard let record, SecretToken.matches(presented, storedHash: record.storedHash) else {
            return .failure(RelayError(.invalidToken, "the token is not known to this relay; ask an operator for a token"))
        }
        if record.isRevoked {
            return .failure(RelayError(
                .revokedToken, "token \(record.id) was revoked; ask an operator for a new token"))
        }
        if record.isExpired(at: now) {
            return .failure(RelayError(
                .expiredToken, "token \(record.id) expired at \(RelayTime.iso8601(record.expiresAt)); ask an operator for a new token"))
        }
        return .success(record)
    }
}
