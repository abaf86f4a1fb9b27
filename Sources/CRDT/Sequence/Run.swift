/// A piece of a list or text: elements with consecutive ids of one replica that sit next
/// to each other in document order and are all visible or all deleted.
///
/// Typing a word makes one run, not one item per keystroke. A run is split when an insert
/// lands inside it or when part of it is deleted; every piece is found by id through the
/// sequence's ``RunIndex``.
///
/// A text run's scalars are a slice: a split copies the smaller piece into new storage and
/// leaves the larger one as a slice of the old, so a split never copies more than the smaller
/// piece (see ``SequenceObject``).
final class Run {
    /// Id of the first element; element `k` has id `start.advanced(by: k)`.
    var start: OpID
    /// Number of elements.
    var count: Int
    /// Whether the elements are visible (false: tombstones kept for ordering).
    var isVisible: Bool
    /// The scalars of a text run (empty for list runs). A slice: index it from `startIndex`.
    var scalars: ArraySlice<Unicode.Scalar>
    /// UTF-16 length of `scalars`.
    var utf16Count: Int
    /// The leaf that holds this run.
    unowned(unsafe) var leaf: SequenceNode

    /// A run of `scalars` (or of `count` list elements when `scalars` is empty) whose UTF-16
    /// length is `utf16Count`, or is counted here when nil.
    init(start: OpID, count: Int, isVisible: Bool, scalars: ArraySlice<Unicode.Scalar>, utf16Count: Int? = nil, leaf: SequenceNode) {
        self.start = start
        self.count = count
        self.isVisible = isVisible
        self.scalars = scalars
        self.utf16Count = utf16Count ?? Run.utf16Length(scalars)
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

    /// Whether every scalar is in the Basic Multilingual Plane (one UTF-16 unit each), so
    /// that UTF-16 offsets inside the run equal scalar offsets.
    var isSingleUnit: Bool { utf16Count == scalars.count }

    /// UTF-16 length of the first `offset` elements.
    ///
    /// - Complexity: O(1) for a run of single-unit scalars, else O(min(offset, count − offset)).
    func utf16Prefix(_ offset: Int) -> Int {
        if scalars.isEmpty || offset == 0 { return 0 }
        if offset == count { return utf16Count }
        if isSingleUnit { return offset }
        if offset <= count - offset { return Run.utf16Length(scalars.prefix(offset)) }
        return utf16Count - Run.utf16Length(scalars.suffix(count - offset))
    }
}
