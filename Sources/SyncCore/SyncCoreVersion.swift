/// The version of the engine, as `sync-client --version` and the relay report it.
public enum SyncCoreVersion {
    public static let string = "0.1.0"
}
