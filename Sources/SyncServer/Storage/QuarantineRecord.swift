/// A quarantined change with the id the store gave it.
public struct QuarantineRecord: Sendable, Hashable {
    /// Increasing in the order changes were quarantined.
    public var id: Int64
    /// The refused change.
    public var entry: QuarantineEntry

    public init(id: Int64, entry: QuarantineEntry) {
        self.id = id
        self.entry = entry
    }
}
