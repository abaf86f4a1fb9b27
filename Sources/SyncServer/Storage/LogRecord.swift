/// A change in the relay's log, with the relay sequence number it was given.
///
/// Relay sequence numbers are strictly increasing in the order changes were committed and
/// never reused, so "everything after cursor *n*" is a complete, resumable feed.
public struct LogRecord: Sendable, Hashable {
    /// The relay sequence number: the change log's primary key, starting at 1.
    public var sequence: Int64
    /// The change as it was appended.
    public var entry: NewLogEntry

    public init(sequence: Int64, entry: NewLogEntry) {
        self.sequence = sequence
        self.entry = entry
    }
}
