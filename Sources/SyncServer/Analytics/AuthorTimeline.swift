import CRDT
import DealCardKit

/// The author time and channel of each change of one document, ordered as analytics orders
/// a deal's changes: by author time, then change id.
///
/// Kept beside a cached document (``RelayDocumentCache/Entry/authors``) and brought up to
/// date lazily: ``catchUp(with:)`` reads only the changes the document took since the last
/// call, since a document's history only grows. So the metadata of each change is decoded
/// once per document load, not once per commit, and a deal's channel path is a merge of two
/// sorted arrays (``DealAnalytics/facts(deal:entries:)``).
final class AuthorTimeline {
    struct Stamp {
        var time: Int64
        var change: ChangeID
        var channel: Channel

        func isBefore(_ other: Stamp) -> Bool { (time, change) < (other.time, other.change) }
    }

    /// The changes with an author record, in (time, change id) order.
    private(set) var stamps: [Stamp] = []
    /// How many of the document's history entries ``stamps`` has taken in.
    private var consumed = 0

    /// Takes in the changes `document` applied since the last call.
    ///
    /// - Complexity: O(new changes) metadata decodes, plus moving the later stamps along for
    ///   a change authored before the latest one (an offline edit synced late).
    /// - Precondition: `document` is the document this timeline has followed from its start.
    func catchUp(with document: Document) {
        let history = document.history
        precondition(consumed <= history.count, "an author timeline follows one document, whose history only grows")
        guard consumed < history.count else { return }
        for change in history[consumed...] {
            guard let author = ChangeAuthor(metadata: change.metadata) else { continue }
            let stamp = Stamp(time: author.time, change: change.id, channel: author.channel)
            if let last = stamps.last, stamp.isBefore(last) {
                var low = 0
                var high = stamps.count
                while low < high {
                    let middle = (low + high) / 2
                    if stamps[middle].isBefore(stamp) { low = middle + 1 } else { high = middle }
                }
                stamps.insert(stamp, at: low)
            } else {
                stamps.append(stamp)
            }
        }
        consumed = history.count
    }

    /// The stamps of several timelines in one (time, change id) order; ties keep the order of
    /// `timelines`.
    static func merged(_ timelines: [AuthorTimeline]) -> [Stamp] {
        var result: [Stamp] = []
        for timeline in timelines {
            guard !result.isEmpty else {
                result = timeline.stamps
                continue
            }
            var merged: [Stamp] = []
            merged.reserveCapacity(result.count + timeline.stamps.count)
            var left = 0
            var right = 0
            let other = timeline.stamps
            while left < result.count || right < other.count {
                if right == other.count || (left < result.count && !other[right].isBefore(result[left])) {
                    merged.append(result[left])
                    left += 1
                } else {
                    merged.append(other[right])
                    right += 1
                }
            }
            result = merged
        }
        return result
    }
}
