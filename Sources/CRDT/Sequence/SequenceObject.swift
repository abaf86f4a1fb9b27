/// A list or text object: the run tree, the index from element id to run, and (for lists)
/// each element's value register.
///
/// Ordering is RGA (replicated growable array, Roh et al. 2011), the rule Automerge uses:
/// an element is inserted after its origin, skipping the elements there whose ids are
/// greater than its own. Ids grow along causality, so everything inserted after a skipped
/// element is skipped with it, and an author's forward-typed run is never split by a
/// concurrent author's run.
final class SequenceObject {
    let kind: ObjectKind
    private(set) var tree = SequenceTree()
    /// Per replica, the runs created with fresh ids, by first counter; append-only, because a
    /// replica's counters only grow. A split piece is reached through `Run.splitNext`.
    private var index: [ReplicaID: [(counter: UInt64, run: Run)]] = [:]
    /// List element values (lists only), by element id.
    var registers: [OpID: Register] = [:]

    init(kind: ObjectKind) {
        precondition(kind != .map)
        self.kind = kind
    }

    var visibleCount: Int { tree.visibleCount }
    var utf16Count: Int { tree.utf16Count }

    // MARK: Lookup

    /// The run holding element `id` and the element's offset in it, or nil if there is none.
    ///
    /// - Complexity: O(log r) for the index, plus the split pieces walked.
    func locate(_ id: OpID) -> (run: Run, offset: Int)? {
        guard let entries = index[id.replica], !entries.isEmpty else { return nil }
        var low = 0
        var high = entries.count - 1
        if entries[0].counter > id.counter { return nil }
        while low < high {
            let mid = (low + high + 1) / 2
            if entries[mid].counter <= id.counter { low = mid } else { high = mid - 1 }
        }
        var run = entries[low].run
        while id.counter >= run.endCounter {
            guard let next = run.splitNext else { return nil }
            run = next
        }
        guard id.counter >= run.start.counter else { return nil }
        return (run, Int(id.counter - run.start.counter))
    }

    /// Whether element `id` exists here.
    func contains(_ id: OpID) -> Bool { locate(id) != nil }

    /// The id of the visible element at `index`.
    func elementID(at index: Int) -> OpID {
        let (run, offset) = tree.findVisible(index)
        return run.start.advanced(by: UInt64(offset))
    }

    // MARK: Edits

    /// Inserts `count` elements with ids `id…` after element `origin` (nil: the head).
    /// The caller has checked that `origin` exists.
    func insert(id: OpID, after origin: OpID?, count: Int, scalars: [Unicode.Scalar]) {
        // Find the run to insert before (nil: at the end) and the run before the gap.
        var previous: Run?
        var next: Run?
        if let origin {
            let (run, offset) = locate(origin)!
            if offset + 1 < run.count {
                let following = run.start.advanced(by: UInt64(offset + 1))
                if following < id {
                    // The element is placed straight after its origin, inside a run.
                    let right = split(run, at: offset + 1)
                    previous = run
                    next = right
                } else {
                    previous = run
                    next = tree.run(after: run)
                }
            } else {
                previous = run
                next = tree.run(after: run)
            }
        } else {
            next = tree.firstLeaf.runs.first
        }
        // Skip the runs whose first id (and so every id) is greater than the new one.
        while let candidate = next, candidate.start > id {
            previous = candidate
            next = tree.run(after: candidate)
        }
        // Extend the previous run when the new ids continue it in place.
        if let previous, previous.splitNext == nil, previous.isVisible,
           previous.start.replica == id.replica, previous.endCounter == id.counter {
            previous.count += count
            previous.scalars.append(contentsOf: scalars)
            let added = Run.utf16Length(scalars)
            previous.utf16Count += added
            previous.leaf.adjust(visible: count, utf16: added)
            return
        }
        let leaf = previous?.leaf ?? next?.leaf ?? tree.firstLeaf
        let run = Run(start: id, count: count, isVisible: true, scalars: scalars, leaf: leaf)
        if let previous {
            tree.insert(run, in: previous.leaf, at: previous.leaf.index(of: previous) + 1, counted: false)
        } else if let next {
            tree.insert(run, in: next.leaf, at: next.leaf.index(of: next), counted: false)
        } else {
            tree.insert(run, in: leaf, at: leaf.runs.count, counted: false)
        }
        index[id.replica, default: []].append((id.counter, run))
    }

    /// Marks elements `start…start+count-1` deleted (text) or sets their visibility (lists).
    /// The caller has checked that they exist.
    func setVisible(_ visible: Bool, start: OpID, count: Int) {
        var id = start
        var remaining = count
        while remaining > 0 {
            let (found, offset) = locate(id)!
            var run = found
            if offset > 0 { run = split(run, at: offset) }
            if run.count > remaining { _ = split(run, at: remaining) }
            if run.isVisible != visible {
                let sign = visible ? 1 : -1
                run.isVisible = visible
                run.leaf.adjust(visible: sign * run.count, utf16: sign * run.utf16Count)
            }
            remaining -= run.count
            id = id.advanced(by: UInt64(run.count))
        }
    }

    /// Splits `run` before element `offset` (0 < offset < count) and returns the right piece.
    private func split(_ run: Run, at offset: Int) -> Run {
        precondition(offset > 0 && offset < run.count)
        var rightScalars: [Unicode.Scalar] = []
        if !run.scalars.isEmpty {
            rightScalars = Array(run.scalars[offset...])
            run.scalars.removeSubrange(offset...)
        }
        let right = Run(start: run.start.advanced(by: UInt64(offset)), count: run.count - offset,
                        isVisible: run.isVisible, scalars: rightScalars, leaf: run.leaf)
        run.count = offset
        run.utf16Count -= right.utf16Count
        right.splitNext = run.splitNext
        run.splitNext = right
        tree.insert(right, in: run.leaf, at: run.leaf.index(of: run) + 1, counted: true)
        return right
    }
}
