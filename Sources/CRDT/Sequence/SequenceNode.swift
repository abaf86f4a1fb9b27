/// A node of the B+ tree that orders a list or text: a leaf of runs or a branch of nodes.
///
/// Every node keeps the visible element count and visible UTF-16 length of its subtree, so
/// a position lookup descends in O(log n); every node knows its parent, so a change inside
/// a leaf updates those sums upward in O(log n); leaves are chained for in-order walks.
final class SequenceNode {
    static let leafCapacity = 64
    static let branchCapacity = 32

    let isLeaf: Bool
    /// Runs in document order (leaves only).
    var runs: [Run] = []
    /// Children in document order (branches only).
    var children: [SequenceNode] = []
    /// Visible elements in this subtree.
    var visibleCount = 0
    /// Visible UTF-16 units in this subtree.
    var utf16Count = 0
    unowned(unsafe) var parent: SequenceNode?
    /// The next leaf in document order (leaves only).
    unowned(unsafe) var nextLeaf: SequenceNode?

    init(isLeaf: Bool) {
        self.isLeaf = isLeaf
    }

    /// Adds the deltas to this node and every ancestor.
    func adjust(visible: Int, utf16: Int) {
        if visible == 0 && utf16 == 0 { return }
        var node: SequenceNode? = self
        while let current = node {
            current.visibleCount += visible
            current.utf16Count += utf16
            node = current.parent
        }
    }

    /// Recomputes this node's sums from its direct contents.
    func recount() {
        if isLeaf {
            visibleCount = runs.reduce(0) { $0 + $1.visibleCount }
            utf16Count = runs.reduce(0) { $0 + $1.visibleUTF16 }
        } else {
            visibleCount = children.reduce(0) { $0 + $1.visibleCount }
            utf16Count = children.reduce(0) { $0 + $1.utf16Count }
        }
    }

    /// The index of `run` in this leaf.
    func index(of run: Run) -> Int {
        guard let index = runs.firstIndex(where: { $0 === run }) else {
            preconditionFailure("run is not in the leaf it names")
        }
        return index
    }

    /// The index of `child` in this branch.
    func index(ofChild child: SequenceNode) -> Int {
        guard let index = children.firstIndex(where: { $0 === child }) else {
            preconditionFailure("node is not in its parent")
        }
        return index
    }
}
