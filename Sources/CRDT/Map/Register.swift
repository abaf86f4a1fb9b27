/// The concurrent values of one map key or list element (a multi-value register).
///
/// Each write lists the values it has seen (`pred`) and supersedes exactly those, so values
/// written concurrently all stay: one is shown (the greatest op id wins) and the rest are
/// conflicts. Counters are values too; an increment adds to the counter it names and, until
/// a later write has seen it, keeps a concurrently deleted counter alive (add wins).
///
/// - Complexity: O(k) per op, k the number of concurrent values (almost always 1).
struct Register: Sendable {
    /// One value written at this place.
    struct Entry: Sendable {
        /// The op that wrote it.
        var id: OpID
        var value: Value
        /// For counters: the sum of every increment applied to it.
        var increments: Int64 = 0
        /// For counters: the increments no later write has seen yet.
        var liveIncrements: [OpID] = []
        /// For counters: whether a write has superseded the counter itself. A superseded
        /// counter is kept while increments keep it alive, and kept as a tombstone after,
        /// because a concurrent increment may still arrive and revive it.
        var superseded = false

        var isVisible: Bool { !superseded || !liveIncrements.isEmpty }

        var isCounter: Bool {
            if case .scalar(.counter) = value { return true }
            return false
        }

        /// The value as read: counters include their increments.
        var current: Value {
            if case .scalar(.counter(let start)) = value {
                return .scalar(.counter(start &+ increments))
            }
            return value
        }
    }

    private(set) var entries: [Entry] = []

    init() {}

    /// A register holding `entries` (as a snapshot's state lists them).
    init(entries: [Entry]) {
        self.entries = entries
    }

    var isEmpty: Bool { !entries.contains { $0.isVisible } }

    /// The visible entries, winner first (descending op id).
    var visible: [Entry] {
        // Most registers hold one entry: no filtering and sorting for it.
        if entries.count == 1 { return entries[0].isVisible ? entries : [] }
        return entries.filter(\.isVisible).sorted { $0.id > $1.id }
    }

    /// The shown value: the visible entry with the greatest id.
    var winner: Entry? {
        var best: Entry?
        for entry in entries where entry.isVisible {
            if best == nil || entry.id > best!.id { best = entry }
        }
        return best
    }

    /// What a new local write must list as `pred` to supersede everything visible.
    var predecessors: [OpID] {
        var ids: [OpID] = []
        for entry in entries where entry.isVisible {
            if !entry.superseded { ids.append(entry.id) }
            ids.append(contentsOf: entry.liveIncrements)
        }
        return ids.sorted()
    }

    /// Supersedes the entries and increments named in `pred`, then adds `value` (if any).
    mutating func write(id: OpID, value: Value?, pred: [OpID]) {
        if !pred.isEmpty {
            var index = 0
            while index < entries.count {
                if entries[index].isCounter {
                    if pred.contains(entries[index].id) { entries[index].superseded = true }
                    entries[index].liveIncrements.removeAll { pred.contains($0) }
                    index += 1
                } else if pred.contains(entries[index].id) {
                    entries.remove(at: index)
                } else {
                    index += 1
                }
            }
        }
        if let value {
            entries.append(Entry(id: id, value: value))
        }
    }

    /// Adds `delta` to the counter written by `counter`. Returns false when there is no such
    /// counter here (a malformed change).
    mutating func increment(id: OpID, counter: OpID, by delta: Int64) -> Bool {
        guard let index = entries.firstIndex(where: { $0.id == counter && $0.isCounter }) else { return false }
        entries[index].increments &+= delta
        entries[index].liveIncrements.append(id)
        return true
    }

    /// Sets the value of the entry written by `id`, loaded after the entry itself; false
    /// when there is no such entry or the value's kind (counter or not) is not the entry's.
    mutating func setLoadedValue(_ value: ScalarValue, of id: OpID) -> Bool {
        guard let index = entries.firstIndex(where: { $0.id == id }) else { return false }
        guard value.isCounter == entries[index].isCounter else { return false }
        entries[index].value = .scalar(value)
        return true
    }

    /// Whether an entry written by `id` is present (visible or a counter tombstone).
    func contains(_ id: OpID) -> Bool {
        entries.contains { $0.id == id }
    }
}
