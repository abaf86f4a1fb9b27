import CRDT
import DealCardKit
import SyncProtocol

/// What a showroom relay sends upstream in one request: the entries of its log after the
/// last one pushed, as the outbox items ``SyncRound`` takes, leaving out those that came
/// from upstream (the upstream has them) and those whose deal id is not a wire id.
///
/// A pure value: the relay reads the log records, this decides, and after the answer it
/// says how far the pushed position moves.
struct UpstreamOutbox: Sendable {
    /// The items to push, in log order.
    let items: [OutboxItem]
    /// The log sequence of each item.
    private let sequences: [Int64]
    /// The last log entry read, pushed or passed over; nil when the log had nothing new.
    let lastSequence: Int64?
    /// The entries passed over because they came from upstream: sequence and key.
    private let fromUpstream: [(sequence: Int64, key: String)]

    /// Nothing to push.
    static let empty = UpstreamOutbox(records: [], isFromUpstream: { _ in false })

    /// - Parameters:
    ///   - records: log entries after the pushed position, ascending.
    ///   - isFromUpstream: whether the entry of a ``key(_:)`` came from upstream (not to be
    ///     sent back).
    init(records: [LogRecord], isFromUpstream: (String) -> Bool) {
        var items: [OutboxItem] = []
        var sequences: [Int64] = []
        var fromUpstream: [(sequence: Int64, key: String)] = []
        for record in records {
            if isFromUpstream(Self.key(record.entry)) {
                fromUpstream.append((record.sequence, Self.key(record.entry)))
                continue
            }
            guard let deal = DealID(record.entry.deal) else { continue }
            let change = ChangeID(replica: ReplicaID(record.entry.replica), seq: record.entry.changeSequence)
            items.append(OutboxItem(ref: ChangeRef(deal: deal, document: record.entry.document, change: change), blob: record.entry.blob,
                                    createdAt: record.entry.receivedAt.storedMilliseconds))
            sequences.append(record.sequence)
        }
        self.items = items
        self.sequences = sequences
        self.fromUpstream = fromUpstream
        lastSequence = records.last?.sequence
    }

    /// The last log entry the upstream has answered for, once the items in `answered` were
    /// accepted or refused: every entry up to it was answered or needed no push. An item
    /// left unanswered (the upstream's per-request budget stops a push part way) and the
    /// items after it are pushed again from there.
    ///
    /// - Complexity: O(items).
    func pushedThrough(answered: Set<ChangeRef>) -> Int64? {
        for (item, sequence) in zip(items, sequences) where !answered.contains(item.ref) {
            return sequence - 1
        }
        return lastSequence
    }

    /// The keys of the entries that came from upstream up to `sequence`: once the pushed
    /// position has passed them they need not be remembered.
    func upstreamKeys(through sequence: Int64) -> [String] {
        fromUpstream.prefix { $0.sequence <= sequence }.map(\.key)
    }

    /// The key under which an entry received from upstream is remembered (so it is not
    /// pushed back): its dealership and change identity.
    static func key(_ entry: NewLogEntry) -> String {
        "\(entry.dealership)/\(entry.deal)/\(entry.document.rawValue)/\(entry.replica)/\(entry.changeSequence)"
    }
}
