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
    /// The log position of each item.
    private let positions: [LogPosition]
    /// The last log entry read, pushed or passed over; nil when the log had nothing new.
    let lastPosition: LogPosition?
    /// The entries passed over because they came from upstream: position and key.
    private let fromUpstream: [(position: LogPosition, key: String)]

    /// Nothing to push.
    static let empty = UpstreamOutbox(records: [], isFromUpstream: { _ in false })

    /// - Parameters:
    ///   - records: log entries after the pushed position, ascending.
    ///   - isFromUpstream: whether the entry of a ``key(_:)`` came from upstream (not to be
    ///     sent back).
    init(records: [LogRecord], isFromUpstream: (String) -> Bool) {
        var items: [OutboxItem] = []
        var positions: [LogPosition] = []
        var fromUpstream: [(position: LogPosition, key: String)] = []
        for record in records {
            if isFromUpstream(Self.key(record.entry)) {
                fromUpstream.append((record.position, Self.key(record.entry)))
                continue
            }
            let deal = record.entry.deal
            let change = ChangeID(replica: record.entry.replica, seq: record.entry.changeSequence)
            items.append(OutboxItem(ref: ChangeRef(deal: deal, document: record.entry.document, change: change), blob: record.entry.blob,
                                    createdAt: record.entry.receivedAt.storedMilliseconds))
            positions.append(record.position)
        }
        self.items = items
        self.positions = positions
        self.fromUpstream = fromUpstream
        lastPosition = records.last?.position
    }

    /// The last log entry the upstream has answered for, once the items in `answered` were
    /// accepted or refused: every entry up to it was answered or needed no push. An item
    /// left unanswered (the upstream's per-request budget stops a push part way) and the
    /// items after it are pushed again from there.
    ///
    /// - Complexity: O(items).
    func pushedThrough(answered: Set<ChangeRef>) -> LogPosition? {
        for (item, position) in zip(items, positions) where !answered.contains(item.ref) {
            return position.previous
        }
        return lastPosition
    }

    /// The keys of the entries that came from upstream up to `position`: once the pushed
    /// position has passed them they need not be remembered.
    func upstreamKeys(through position: LogPosition) -> [String] {
        fromUpstream.prefix { $0.position <= position }.map(\.key)
    }

    /// The key under which an entry received from upstream is remembered (so it is not
    /// pushed back): its dealership and change identity.
    static func key(_ entry: NewLogEntry) -> String {
        "\(entry.dealership)/\(entry.deal)/\(entry.document.rawValue)/\(entry.replica)/\(entry.changeSequence)"
    }
}
