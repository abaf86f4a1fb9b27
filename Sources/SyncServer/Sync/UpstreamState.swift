import Foundation
import SyncCore

/// Where a downstream relay (a showroom relay on the manager's PC) sends its log and gets
/// the group's: the upstream relay's URL and the relay token it issued
/// (`sync-server token issue --relay …`).
public struct UpstreamConfiguration: Sendable {
    public var url: URL
    public var token: String
    /// How long the pull loop's long-poll may wait upstream.
    public var pollSeconds: Int

    public init(url: URL, token: String, pollSeconds: Int = 20) {
        self.url = url
        self.token = token
        self.pollSeconds = pollSeconds
    }
}

/// How far a downstream relay has come with its upstream: the last local log entry pushed
/// and the upstream cursor pulled to. Kept in `upstream.json` in the data folder, written
/// atomically; losing it only means sending and receiving some changes again, which both
/// sides ignore as duplicates.
struct UpstreamState: Codable, Equatable {
    var pushedThrough: Int64 = 0
    var pullCursor: Int64 = 0

    static func load(from path: String) -> UpstreamState {
        guard let data = FileManager.default.contents(atPath: path),
              let state = try? JSONDecoder().decode(UpstreamState.self, from: data) else { return UpstreamState() }
        return state
    }

    func save(to path: String) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        try? data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
