import CRDT
import DealCardKit

/// The deal documents a relay keeps in memory, bounded in number and in bytes.
///
/// Each entry's weight is an estimate of what it holds in memory: the bytes of its stored
/// changes plus a fixed cost per op counter it has used (runs, registers and index entries).
/// ``trim()`` drops the least recently used entries until both bounds hold again; it is
/// called between requests, never while a request holds documents it has changed. A dropped
/// document is rebuilt from the log when it is needed again.
final class RelayDocumentCache {
    struct Key: Hashable {
        var dealership: String
        var deal: DealID
        var document: DealDocumentKind
    }

    final class Entry {
        let document: Document
        /// Bytes of the document's stored changes (what its snapshot weighs).
        var storedBytes: Int
        var lastUse: UInt64
        /// The document's changes by author time, for the deal's analytics row (brought up to
        /// date when read; see ``AuthorTimeline``).
        let authors = AuthorTimeline()

        init(document: Document, storedBytes: Int, lastUse: UInt64) {
            self.document = document
            self.storedBytes = storedBytes
            self.lastUse = lastUse
        }

        /// The estimated memory of the entry.
        var weight: Int { storedBytes + RelayDocumentCache.bytesPerCounter * Int(clamping: document.maxCounter) }
    }

    /// Estimated bytes of memory per op counter a document has used.
    static let bytesPerCounter = 512

    /// Documents kept at most.
    var capacity: Int
    /// Estimated bytes kept at most.
    var byteCapacity: Int
    private var entries: [Key: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int = 20_000, byteCapacity: Int = 128 << 20) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    var count: Int { entries.count }

    /// The estimated bytes of every cached document together.
    ///
    /// - Complexity: O(cached documents).
    var totalWeight: Int { entries.values.reduce(0) { $0 + $1.weight } }

    /// The entry for `key`, marked used now.
    func entry(_ key: Key) -> Entry? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        return entry
    }

    /// Caches a freshly loaded document.
    @discardableResult
    func insert(_ document: Document, storedBytes: Int, for key: Key) -> Entry {
        clock += 1
        let entry = Entry(document: document, storedBytes: storedBytes, lastUse: clock)
        entries[key] = entry
        return entry
    }

    /// Forgets a document (its memory no longer matches the log, or it is not wanted).
    func remove(_ key: Key) {
        entries[key] = nil
    }

    /// Drops the least recently used documents until at most ``capacity`` documents and
    /// ``byteCapacity`` estimated bytes remain (down to 90% of either, so that trimming is
    /// not needed again at once).
    ///
    /// - Complexity: O(d log d) for d cached documents, only when a bound is passed.
    func trim() {
        var weight = totalWeight
        guard entries.count > capacity || weight > byteCapacity else { return }
        let countTarget = capacity * 9 / 10
        let weightTarget = byteCapacity / 10 * 9
        let oldestFirst = entries.sorted { $0.value.lastUse < $1.value.lastUse }
        var remaining = entries.count
        for (key, entry) in oldestFirst {
            guard remaining > countTarget || weight > weightTarget else { break }
            entries[key] = nil
            remaining -= 1
            weight -= entry.weight
        }
    }
}
