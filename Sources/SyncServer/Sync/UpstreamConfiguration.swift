import Foundation

/// Where a downstream relay (a showroom relay on the manager's PC) sends its log and gets
/// the group's: the upstream relay's URL and the relay token it issued
/// (`sync-server token issue --relay …`).
public struct UpstreamConfiguration: Sendable {
    public var url: URL
    public var token: String
    /// How long the pull loop's long-poll may wait upstream.
    public var pollSeconds: Int
    /// At most this many changes (or, on a first sync, snapshots) per upstream answer,
    /// 1…10000; nil leaves it to the upstream relay (2,000). A small limit spreads a first
    /// sync over many answers, which the tests use.
    public var pageLimit: Int?

    /// - Precondition: `pollSeconds` is within 0…30 and `pageLimit`, if any, within 1…10000
    ///   (what the upstream accepts).
    public init(url: URL, token: String, pollSeconds: Int = 20, pageLimit: Int? = nil) {
        precondition((0...30).contains(pollSeconds), "an upstream long-poll waits 0…30 seconds (got \(pollSeconds))")
        precondition(pageLimit.map { (1...10_000).contains($0) } ?? true, "an upstream page limit is 1…10000 (got \(pageLimit ?? 0))")
        self.url = url
        self.token = token
        self.pollSeconds = pollSeconds
        self.pageLimit = pageLimit
    }
}
