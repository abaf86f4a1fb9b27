/// The version of the engine, as `sync-client --version` and the relay report it.
public enum DealSyncVersion {
    public static let string = "0.1.0"
}
