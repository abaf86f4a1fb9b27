/// Finds the run that holds an element id: an ordered map from each run's first id to the
/// run, kept as a B+ tree ordered by replica and then counter.
///
/// The runs of one replica in a list or text cover disjoint counter ranges (ids are never
/// reused), so the run holding `id`, if any, is the one with the greatest first id not after
/// `id` in that order; it holds `id` when it belongs to the same replica and ends after it.
/// Runs are never removed or merged (deleted elements stay as tombstones), so the map only
/// grows: a new run, or a piece split off a run, adds one entry, and a run extended in
/// place keeps its key.
///
/// Why a tree and not the split chain it replaces: a run split k times used to be reached
/// by walking up to k pieces from the run it was split from, so deleting the elements of
/// one long run one by one cost O(n) each. Here every lookup and insert is a descent.
///
/// - Complexity: ``run(containing:)`` and ``insert(_:)`` are O(log r) in the number of
///   runs r.
struct RunIndex {
    private var root = RunIndexNode(isLeaf: true)
    /// The number of runs indexed.
    private(set) var count = 0

    /// The run holding element `id`, or nil when no run does.
    func run(containing id: OpID) -> Run? {
        guard let run = lastRun(notAfter: id), run.start.replica == id.replica, id.counter < run.endCounter else { return nil }
        return run
    }

    /// The run with the greatest first id not after `id` in index order, if any.
    private func lastRun(notAfter id: OpID) -> Run? {
        var node = root
        while !node.isLeaf {
            let position = node.upperBound(id)
            guard position > 0 else { return nil }
            node = node.children[position - 1]
        }
        let position = node.upperBound(id)
        return position > 0 ? node.runs[position - 1] : nil
    }

    /// Whether an indexed run holds any of the ids `start…start+count-1` (`count` ≥ 1, the
    /// range within the counter range).
    func overlaps(start: OpID, count: Int) -> Bool {
        guard let run = lastRun(notAfter: start.advanced(by: UInt64(count - 1))) else { return false }
        return run.start.replica == start.replica && run.endCounter > start.counter
    }

    /// Adds `run` under its first id, which no indexed run may hold.
    mutating func insert(_ run: Run) {
        assert(self.run(containing: run.start) == nil, "element \(run.start) is already indexed")
        if let sibling = Self.insert(run, into: root) {
            let newRoot = RunIndexNode(isLeaf: false)
            newRoot.keys = [root.keys[0], sibling.keys[0]]
            newRoot.children = [root, sibling]
            root = newRoot
        }
        count += 1
    }

    /// Inserts into the subtree at `node`; returns the new right sibling when `node` split.
    private static func insert(_ run: Run, into node: RunIndexNode) -> RunIndexNode? {
        let position = node.upperBound(run.start)
        if node.isLeaf {
            node.keys.insert(run.start, at: position)
            node.runs.insert(run, at: position)
        } else {
            // A key before every other goes into the first child, whose smallest key it becomes.
            let child = max(position - 1, 0)
            if let sibling = insert(run, into: node.children[child]) {
                node.keys.insert(sibling.keys[0], at: child + 1)
                node.children.insert(sibling, at: child + 1)
            }
            node.keys[child] = node.children[child].keys[0]
        }
        return node.keys.count > RunIndexNode.capacity ? node.splitOffUpperHalf() : nil
    }

    /// Every indexed run in index order (for tests that compare with a model).
    func allRuns() -> [Run] {
        var result: [Run] = []
        result.reserveCapacity(count)
        func visit(_ node: RunIndexNode) {
            if node.isLeaf {
                result += node.runs
            } else {
                node.children.forEach(visit)
            }
        }
        visit(root)
        return result
    }
}
