/// The two rules every store of the change log applies to an append, whatever the database:
/// an entry already logged must be the same bytes (then it is that record: a retried push),
/// and a new entry's seq must be its author's next in the document.
enum LogAppendRules {
    /// Per (dealership, deal, document, replica): a key for the last seq seen in one append.
    static func authorKey(_ entry: NewLogEntry) -> [String] {
        [entry.dealership, entry.deal.rawValue, entry.document.rawValue, entry.replica.description]
    }

    /// `stored`, the record already logged under `entry`'s identity, when it holds the same bytes.
    /// - Throws: ``RelayStorageError/conflictingChange(deal:replica:changeSequence:)`` otherwise.
    static func retried(_ stored: LogRecord, as entry: NewLogEntry) throws -> LogRecord {
        guard stored.entry.blob == entry.blob else {
            throw RelayStorageError.conflictingChange(deal: entry.deal, replica: entry.replica, changeSequence: entry.changeSequence)
        }
        return stored
    }

    /// Checks that `entry` follows its author's `last` seq in the document.
    /// - Throws: ``RelayStorageError/notNextChange(deal:replica:changeSequence:expected:)``.
    static func checkNext(_ entry: NewLogEntry, after last: UInt64) throws {
        guard entry.changeSequence == last &+ 1 else {
            throw RelayStorageError.notNextChange(deal: entry.deal, replica: entry.replica, changeSequence: entry.changeSequence,
                                                  expected: last &+ 1)
        }
    }
}
