
/// One request a showroom relay sent upstream, as its answer's actions need it: which
/// upstream, the position the request was sent from, and what it pushed.
struct UpstreamExchange: Sendable {
    /// The upstream relay's base URL (the key of its position in the store).
    let upstream: String
    /// The stored position when the request was built.
    let sentFrom: UpstreamPosition
    /// The log entries pushed.
    let outbox: UpstreamOutbox
    /// Where alerts go (refusals upstream, changes refused from upstream).
    let log: RelayLog
}
