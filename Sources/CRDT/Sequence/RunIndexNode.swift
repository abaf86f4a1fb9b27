/// A node of ``RunIndex``: a leaf of (first id, run) entries or a branch of child nodes,
/// each kept in index order (replica, then counter).
final class RunIndexNode {
    /// Entries of a leaf, children of a branch; a node that grows past this is split in two.
    static let capacity = 64

    let isLeaf: Bool
    /// A leaf's run starts; a branch's children's smallest keys. Ascending in index order.
    var keys: [OpID] = []
    /// The runs whose first ids are `keys` (leaves only).
    var runs: [Run] = []
    /// The children whose smallest keys are `keys` (branches only).
    var children: [RunIndexNode] = []

    init(isLeaf: Bool) {
        self.isLeaf = isLeaf
    }

    /// Index order: by replica, then by counter, so one replica's runs sit together in
    /// counter order and "the greatest key not after id" is the candidate run for `id`.
    @inline(__always)
    static func precedes(_ lhs: OpID, _ rhs: OpID) -> Bool {
        lhs.replica.rawValue != rhs.replica.rawValue ? lhs.replica.rawValue < rhs.replica.rawValue : lhs.counter < rhs.counter
    }

    /// The number of keys not after `key` (the position a new `key` is inserted at).
    ///
    /// - Complexity: O(log capacity).
    func upperBound(_ key: OpID) -> Int {
        var low = 0
        var high = keys.count
        while low < high {
            let mid = (low + high) / 2
            if Self.precedes(key, keys[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }

    /// Moves the upper half of this node into a new right sibling and returns it.
    func splitOffUpperHalf() -> RunIndexNode {
        let sibling = RunIndexNode(isLeaf: isLeaf)
        let half = keys.count / 2
        sibling.keys = Array(keys[half...])
        keys.removeSubrange(half...)
        if isLeaf {
            sibling.runs = Array(runs[half...])
            runs.removeSubrange(half...)
        } else {
            sibling.children = Array(children[half...])
            children.removeSubrange(half...)
        }
        return sibling
    }
}
