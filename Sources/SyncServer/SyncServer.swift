import SyncProtocol

/// The relay's identity as reported by `sync-server --version` and `/healthz`.
public enum SyncServerInfo {
    public static let name = "sync-server"
    public static var version: String { DealSyncVersion.string }
}
