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
        /// The weight the cache's running total counts for this entry (brought up to date by
        /// ``RelayDocumentCache/trim()`` after the entry was used).
        fileprivate var counted = 0
        /// Whether the entry was used since the last trim (so its weight may have changed).
        fileprivate var isTouched = false
        /// Whether the entry is still in the cache.
        fileprivate var isCached = true

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
    /// The sum of the entries' ``Entry/counted`` weights.
    private var countedWeight = 0
    /// Entries used since the last trim: only a used entry's document can have grown (a
    /// push, an integration write or an upstream append gets its documents here first).
    private var touched: [Entry] = []

    /// The defaults keep a relay of 100,000 deals under 256 MiB resident (measured with
    /// `sync-bench relay --seed-direct`): at about 6 KiB a small deal card's document, 64 MiB
    /// holds some 10,000 of them, the working set of a busy dealership group.
    init(capacity: Int = 20_000, byteCapacity: Int = 64 << 20) {
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    var count: Int { entries.count }

    /// The estimated bytes of every cached document together.
    ///
    /// - Complexity: O(cached documents): it weighs every entry again (tests and diagnostics).
    var totalWeight: Int { entries.values.reduce(0) { $0 + $1.weight } }

    /// The running total of the estimated bytes, brought up to date: what ``trim()`` checks,
    /// and always equal to ``totalWeight``.
    var runningWeight: Int {
        reweighTouched()
        return countedWeight
    }

    /// The entry for `key`, marked used now.
    func entry(_ key: Key) -> Entry? {
        guard let entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        touch(entry)
        return entry
    }

    /// Caches a freshly loaded document.
    @discardableResult
    func insert(_ document: Document, storedBytes: Int, for key: Key) -> Entry {
        clock += 1
        let entry = Entry(document: document, storedBytes: storedBytes, lastUse: clock)
        if let old = entries.updateValue(entry, forKey: key) { forget(old) }
        entry.counted = entry.weight
        countedWeight += entry.counted
        touch(entry)
        return entry
    }

    /// Forgets a document (its memory no longer matches the log, or it is not wanted).
    func remove(_ key: Key) {
        if let old = entries.removeValue(forKey: key) { forget(old) }
    }

    /// Forgets every document.
    func removeAll() {
        for key in Array(entries.keys) { remove(key) }
    }

    private func touch(_ entry: Entry) {
        guard !entry.isTouched else { return }
        entry.isTouched = true
        touched.append(entry)
    }

    private func forget(_ entry: Entry) {
        entry.isCached = false
        countedWeight -= entry.counted
    }

    /// Brings the running total up to date with the entries used since the last call.
    ///
    /// - Complexity: O(entries used since).
    private func reweighTouched() {
        for entry in touched {
            entry.isTouched = false
            guard entry.isCached else { continue }
            let weight = entry.weight
            countedWeight += weight - entry.counted
            entry.counted = weight
        }
        touched.removeAll(keepingCapacity: true)
    }

    /// Drops the least recently used documents until at most ``capacity`` documents and
    /// ``byteCapacity`` estimated bytes remain (down to 90% of either, so that trimming is
    /// not needed again at once).
    ///
    /// - Complexity: O(documents used since the last trim) to check the bounds, kept as a
    ///   running total; O(d log d) for d cached documents only when a bound is passed.
    func trim() {
        reweighTouched()
        var weight = countedWeight
        guard entries.count > capacity || weight > byteCapacity else { return }
        let countTarget = capacity * 9 / 10
        let weightTarget = byteCapacity / 10 * 9
        let oldestFirst = entries.sorted { $0.value.lastUse < $1.value.lastUse }
        var remaining = entries.count
        for (key, entry) in oldestFirst {
            guard remaining > countTarget || weight > weightTarget else { break }
            entries[key] = nil
            forget(entry)
            remaining -= 1
            weight -= entry.counted
        }
    }
}
