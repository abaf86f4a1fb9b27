import SyncProtocol

/// A change in the relay's log, with the log position it was given.
///
/// Log positions are strictly increasing in the order changes were committed and never
/// reused, so "everything after cursor *n*" is a complete, resumable feed.
public struct LogRecord: Sendable, Hashable {
    /// The entry's log position: the change log's primary key, starting at 1.
    public var position: LogPosition
    /// The change as it was appended.
    public var entry: NewLogEntry

    public init(position: LogPosition, entry: NewLogEntry) {
        self.position = position
        self.entry = entry
    }
}
