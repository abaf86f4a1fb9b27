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
    /// Every run by first id, split pieces included.
    private(set) var index = RunIndex()
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
    /// - Complexity: O(log r) in the number of runs.
    func locate(_ id: OpID) -> (run: Run, offset: Int)? {
        guard let run = index.run(containing: id) else { return nil }
        return (run, Int(id.counter - run.start.counter))
    }

    /// Whether element `id` exists here.
    func contains(_ id: OpID) -> Bool { index.run(containing: id) != nil }

    /// The id of the visible element at `index`.
    func elementID(at index: Int) -> OpID {
        let (run, offset) = tree.findVisible(index)
        return run.start.advanced(by: UInt64(offset))
    }

    // MARK: Edits

    /// Adds a run after the others, as a snapshot's state lists them; false (nothing added)
    /// when one of its ids is already here.
    func appendLoaded(start: OpID, count: Int, isVisible: Bool, scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        guard !index.overlaps(start: start, count: count) else { return false }
        let run = Run(start: start, count: count, isVisible: isVisible, scalars: scalars, leaf: tree.firstLeaf)
        tree.append(run)
        index.insert(run)
        return true
    }

    /// Inserts `count` elements with ids `id…` after element `origin` (nil: the head).
    /// The caller has checked that `origin` exists and that the ids are new (an author's
    /// counters only grow, so they always are).
    ///
    /// - Complexity: O(log r), plus the concurrent inserts at the same place that RGA skips.
    ///
    /// Invariant that compaction relies on (``SnapshotEncoder``'s tombstone rule): a new
    /// element is only ever placed right before an element with a smaller id (or at the end),
    /// so an element followed by one with a greater id is that element's origin.
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
        // Extend the previous run when the new ids continue it in place. (Its end cannot be
        // the start of a piece split off it: that piece would hold `id`, and ids are new.)
        if let previous, previous.isVisible, previous.start.replica == id.replica, previous.endCounter == id.counter {
            previous.count += count
            previous.scalars.append(contentsOf: scalars)
            let added = Run.utf16Length(scalars)
            previous.utf16Count += added
            previous.leaf.adjust(visible: count, utf16: added)
            return
        }
        let leaf = previous?.leaf ?? next?.leaf ?? tree.firstLeaf
        let run = Run(start: id, count: count, isVisible: true, scalars: ArraySlice(scalars), leaf: leaf)
        if let previous {
            tree.insert(run, in: previous.leaf, at: previous.leaf.index(of: previous) + 1, counted: false)
        } else if let next {
            tree.insert(run, in: next.leaf, at: next.leaf.index(of: next), counted: false)
        } else {
            tree.insert(run, in: leaf, at: leaf.runs.count, counted: false)
        }
        index.insert(run)
    }

    /// Marks elements `start…start+count-1` deleted (text) or sets their visibility (lists).
    /// The caller has checked that they exist.
    ///
    /// - Complexity: O(log r) per run the elements span (amortized, see ``split(_:at:)``).
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
    ///
    /// The smaller piece's scalars are copied into new storage; the larger piece keeps the
    /// old storage as a slice, so the right piece can still grow in place when its author
    /// types on. Each element is copied only while in the smaller piece, whose size at least
    /// halves each time, and the UTF-16 length is counted over the smaller piece too (or not
    /// at all in a run of single-unit scalars), so splits cost O(log n) amortized.
    ///
    /// - Complexity: O(log r) for the tree and the index, plus the copy above.
    private func split(_ run: Run, at offset: Int) -> Run {
        precondition(offset > 0 && offset < run.count)
        let rightCount = run.count - offset
        var rightScalars = ArraySlice<Unicode.Scalar>()
        var rightUTF16 = 0
        if !run.scalars.isEmpty {
            let all = run.scalars
            run.scalars = []
            let leftIsSmaller = offset <= rightCount
            if all.count == run.utf16Count {
                rightUTF16 = rightCount
            } else if leftIsSmaller {
                rightUTF16 = run.utf16Count - Run.utf16Length(all.prefix(offset))
            } else {
                rightUTF16 = Run.utf16Length(all.suffix(rightCount))
            }
            if leftIsSmaller {
                run.scalars = ArraySlice(Array(all.prefix(offset)))
                rightScalars = all.dropFirst(offset)
            } else {
                run.scalars = all.prefix(offset)
                rightScalars = ArraySlice(Array(all.suffix(rightCount)))
            }
        }
        let right = Run(start: run.start.advanced(by: UInt64(offset)), count: rightCount, isVisible: run.isVisible,
                        scalars: rightScalars, utf16Count: rightUTF16, leaf: run.leaf)
        run.count = offset
        run.utf16Count -= rightUTF16
        tree.insert(right, in: run.leaf, at: run.leaf.index(of: run) + 1, counted: true)
        index.insert(right)
        return right
    }
}
