/// A piece of a list or text: elements with consecutive ids of one replica that sit next
/// to each other in document order and are all visible or all deleted.
///
/// Typing a word makes one run, not one item per keystroke. A run is split when an insert
/// lands inside it or when part of it is deleted; the right-hand piece is linked from the
/// left by `splitNext`, so a lookup by id can walk from the piece the id index names.
final class Run {
    /// Id of the first element; element `k` has id `start.advanced(by: k)`.
    var start: OpID
    /// Number of elements.
    var count: Int
    /// Whether the elements are visible (false: tombstones kept for ordering).
    var isVisible: Bool
    /// The scalars of a text run (empty for list runs).
    var scalars: [Unicode.Scalar]
    /// UTF-16 length of `scalars`.
    var utf16Count: Int
    /// The leaf that holds this run.
    unowned(unsafe) var leaf: SequenceNode
    /// The run holding the ids that follow this one's, after a split.
    var splitNext: Run?

    init(start: OpID, count: Int, isVisible: Bool, scalars: [Unicode.Scalar], leaf: SequenceNode) {
        self.start = start
        self.count = count
        self.isVisible = isVisible
        self.scalars = scalars
        self.utf16Count = Run.utf16Length(scalars)
        self.leaf = leaf
    }

    /// One past the counter of the last element.
    var endCounter: UInt64 { start.counter + UInt64(count) }

    /// Elements this run adds to its leaf's visible count.
    var visibleCount: Int { isVisible ? count : 0 }

    /// UTF-16 units this run adds to its leaf's count.
    var visibleUTF16: Int { isVisible ? utf16Count : 0 }

    static func utf16Length(_ scalars: some Sequence<Unicode.Scalar>) -> Int {
        scalars.reduce(0) { $0 + ($1.value > 0xFFFF ? 2 : 1) }
    }

    /// UTF-16 length of the first `offset` elements.
    func utf16Prefix(_ offset: Int) -> Int {
        if scalars.isEmpty || offset == 0 { return 0 }
        if offset == count { return utf16Count }
        return Run.utf16Length(scalars[0..<offset])
    }
}
