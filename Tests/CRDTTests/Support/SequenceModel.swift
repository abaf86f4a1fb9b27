@testable import CRDT

/// A naive list or text: every element ever inserted, tombstones included, in document
/// order, in a plain array. Edits are placed by linear search, the way a reader would check
/// them by hand; the engine's run tree and run index must agree with it.
///
/// The model places an insert straight after its origin, which is what RGA does when the
/// new element's id is the greatest in the sequence: true whenever each change is delivered
/// before the next is made (no concurrency), as the tests that use it do.
struct SequenceModel {
    struct Element: Equatable {
        var id: OpID
        var scalar: Unicode.Scalar?
        var value: Int64?
        var isVisible = true
    }

    private(set) var elements: [Element] = []
    private(set) var visibleCount = 0

    var visible: [Element] { elements.filter(\.isVisible) }

    /// The full-array position of the visible element at `index`.
    func position(ofVisible index: Int) -> Int {
        var seen = 0
        for (position, element) in elements.enumerated() where element.isVisible {
            if seen == index { return position }
            seen += 1
        }
        preconditionFailure("no visible element \(index)")
    }

    /// Inserts `new` after the visible element `index - 1` (at the head for 0), each new
    /// element after the one before it.
    mutating func insert(_ new: [Element], atVisible index: Int) {
        let at = index == 0 ? 0 : position(ofVisible: index - 1) + 1
        elements.insert(contentsOf: new, at: at)
        visibleCount += new.filter(\.isVisible).count
    }

    /// Marks the visible elements `index..<index+count` deleted.
    mutating func delete(atVisible index: Int, count: Int) {
        guard count > 0 else { return }
        var position = self.position(ofVisible: index)
        var left = count
        while left > 0 {
            if elements[position].isVisible {
                elements[position].isVisible = false
                left -= 1
            }
            position += 1
        }
        visibleCount -= count
    }

    /// Marks the element with id `id` deleted.
    mutating func delete(id: OpID) {
        guard let position = elements.firstIndex(where: { $0.id == id }) else { preconditionFailure("no element \(id)") }
        if elements[position].isVisible { visibleCount -= 1 }
        elements[position].isVisible = false
    }

    /// The visible text.
    var text: String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: visible.compactMap(\.scalar))
        return String(scalars)
    }

    /// What differs between this model and `sequence` (empty when they agree): the element
    /// order, each element's run, visibility and scalar, and the engine's own invariants.
    func differences(from sequence: SequenceObject) -> [String] {
        var problems = sequence.invariantViolations()
        let ids = sequence.elementIDs
        if ids != elements.map(\.id) {
            let first = zip(ids, elements.map(\.id)).prefix { $0 == $1 }.count
            problems.append("element order differs from position \(first) (engine \(ids.count) elements, model \(elements.count))")
        }
        for element in elements {
            guard let (run, offset) = sequence.locate(element.id) else {
                problems.append("element \(element.id) is not found")
                continue
            }
            if run.isVisible != element.isVisible { problems.append("element \(element.id) visible: \(run.isVisible), model: \(element.isVisible)") }
            if let scalar = element.scalar, run.scalars[run.scalars.startIndex + offset] != scalar {
                problems.append("element \(element.id) holds \(run.scalars[run.scalars.startIndex + offset]), model: \(scalar)")
            }
            if problems.count > 20 { break }
        }
        if sequence.visibleCount != visibleCount { problems.append("\(sequence.visibleCount) visible, model: \(visibleCount)") }
        return problems
    }
}

extension Change {
    /// The ids of the ops, in order (each op's first counter).
    var opIDs: [OpID] {
        var counter = startOp
        return ops.map { op in
            defer { counter += op.width }
            return OpID(counter: counter, replica: replica)
        }
    }
}
