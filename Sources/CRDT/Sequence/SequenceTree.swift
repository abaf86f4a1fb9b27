/// The B+ tree of runs that gives a list or text its order.
///
/// - Complexity: position lookups and inserts are O(log n) in the number of runs; a leaf
///   holds at most ``SequenceNode/leafCapacity`` runs and is split in two when it overflows.
///   Nodes are never merged: tombstones stay, so the tree only grows.
struct SequenceTree {
    private(set) var root: SequenceNode
    let firstLeaf: SequenceNode

    init() {
        let leaf = SequenceNode(isLeaf: true)
        root = leaf
        firstLeaf = leaf
    }

    /// Visible elements in all.
    var visibleCount: Int { root.visibleCount }
    /// Visible UTF-16 units in all.
    var utf16Count: Int { root.utf16Count }

    /// The run and offset of the visible element at `index` (0 ≤ index < visibleCount).
    func findVisible(_ index: Int) -> (run: Run, offset: Int) {
        precondition(index >= 0 && index < root.visibleCount, "index out of range")
        var remaining = index
        var node = root
        while !node.isLeaf {
            var next: SequenceNode?
            for child in node.children {
                if remaining < child.visibleCount { next = child; break }
                remaining -= child.visibleCount
            }
            node = next!
        }
        for run in node.runs where run.isVisible {
            if remaining < run.count { return (run, remaining) }
            remaining -= run.count
        }
        preconditionFailure("visible counts are inconsistent")
    }

    /// The number of visible elements before element `offset` of `run`, and the UTF-16
    /// units before it.
    func position(of run: Run, offset: Int) -> (scalars: Int, utf16: Int) {
        var scalars = run.isVisible ? offset : 0
        var utf16 = run.isVisible ? run.utf16Prefix(offset) : 0
        let leaf = run.leaf
        for other in leaf.runs {
            if other === run { break }
            scalars += other.visibleCount
            utf16 += other.visibleUTF16
        }
        var child = leaf
        while let parent = child.parent {
            for sibling in parent.children {
                if sibling === child { break }
                scalars += sibling.visibleCount
                utf16 += sibling.utf16Count
            }
            child = parent
        }
        return (scalars, utf16)
    }

    /// The scalar index of the visible element that contains UTF-16 offset `utf16`
    /// (rounded down when the offset falls inside a surrogate pair).
    func scalarIndex(forUTF16 utf16: Int) -> Int {
        var remaining = utf16
        var scalars = 0
        var node = root
        while !node.isLeaf {
            var next: SequenceNode?
            for child in node.children {
                if remaining < child.utf16Count { next = child; break }
                remaining -= child.utf16Count
                scalars += child.visibleCount
            }
            guard let found = next else { return scalars }
            node = found
        }
        for run in node.runs where run.isVisible {
            if remaining < run.utf16Count {
                if run.isSingleUnit { return scalars + remaining }
                var offset = 0
                for scalar in run.scalars {
                    let width = scalar.value > 0xFFFF ? 2 : 1
                    if remaining < width { break }
                    remaining -= width
                    offset += 1
                }
                return scalars + offset
            }
            remaining -= run.utf16Count
            scalars += run.count
        }
        return scalars
    }

    /// Inserts `run` into `leaf` at `index`, adding its visible sums to the ancestors when
    /// `counted` is false (a new run) and leaving them when true (a piece split off a run
    /// that was already counted).
    mutating func insert(_ run: Run, in leaf: SequenceNode, at index: Int, counted: Bool) {
        run.leaf = leaf
        leaf.runs.insert(run, at: index)
        if !counted { leaf.adjust(visible: run.visibleCount, utf16: run.visibleUTF16) }
        if leaf.runs.count > SequenceNode.leafCapacity { split(leaf) }
    }

    /// Adds `run` after every other run (loading a snapshot's runs in document order).
    mutating func append(_ run: Run) {
        var node = root
        while !node.isLeaf { node = node.children[node.children.count - 1] }
        insert(run, in: node, at: node.runs.count, counted: false)
    }

    /// Visits the runs in document order until `body` returns false.
    func forEachRun(_ body: (Run) -> Bool) {
        var leaf: SequenceNode? = firstLeaf
        while let current = leaf {
            for run in current.runs where !body(run) { return }
            leaf = current.nextLeaf
        }
    }

    /// The run after `run` in document order, with the leaf walk it takes.
    func run(after run: Run) -> Run? {
        var leaf = run.leaf
        let index = leaf.index(of: run)
        if index + 1 < leaf.runs.count { return leaf.runs[index + 1] }
        while let next = leaf.nextLeaf {
            if let first = next.runs.first { return first }
            leaf = next
        }
        return nil
    }

    private mutating func split(_ node: SequenceNode) {
        let sibling = SequenceNode(isLeaf: node.isLeaf)
        if node.isLeaf {
            let half = node.runs.count / 2
            sibling.runs = Array(node.runs[half...])
            node.runs.removeSubrange(half...)
            for run in sibling.runs { run.leaf = sibling }
            sibling.nextLeaf = node.nextLeaf
            node.nextLeaf = sibling
        } else {
            let half = node.children.count / 2
            sibling.children = Array(node.children[half...])
            node.children.removeSubrange(half...)
            for child in sibling.children { child.parent = sibling }
        }
        let before = (node.visibleCount, node.utf16Count)
        node.recount()
        sibling.recount()
        precondition(before == (node.visibleCount + sibling.visibleCount, node.utf16Count + sibling.utf16Count))
        if let parent = node.parent {
            sibling.parent = parent
            parent.children.insert(sibling, at: parent.index(ofChild: node) + 1)
            if parent.children.count > SequenceNode.branchCapacity { split(parent) }
        } else {
            let newRoot = SequenceNode(isLeaf: false)
            newRoot.children = [node, sibling]
            node.parent = newRoot
            sibling.parent = newRoot
            newRoot.recount()
            root = newRoot
        }
    }
}
