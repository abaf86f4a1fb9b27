@testable import CRDT

extension SequenceObject {
    /// What is inconsistent between the run tree, the run index and the counts (empty when
    /// all is well): every run must be found by the index from each of its ids, the index
    /// must hold exactly the tree's runs with no two overlapping, and the counts kept in the
    /// tree must match the runs.
    func invariantViolations() -> [String] {
        var problems: [String] = []
        var runs: [ObjectIdentifier] = []
        var visible = 0
        var utf16 = 0
        tree.forEachRun { run in
            runs.append(ObjectIdentifier(run))
            if run.count < 1 { problems.append("run \(run.start) is empty") }
            if kind == .text {
                if run.scalars.count != run.count { problems.append("run \(run.start) holds \(run.scalars.count) scalars for \(run.count) elements") }
                if run.utf16Count != Run.utf16Length(run.scalars) { problems.append("run \(run.start) counts \(run.utf16Count) UTF-16 units") }
            }
            for probe in Set([0, run.count / 2, max(run.count - 1, 0)]) {
                let id = run.start.advanced(by: UInt64(probe))
                guard let found = locate(id) else {
                    problems.append("element \(id) of run \(run.start) is not found")
                    continue
                }
                if found.run !== run || found.offset != probe {
                    problems.append("element \(id) is found in run \(found.run.start) at offset \(found.offset)")
                }
            }
            visible += run.visibleCount
            utf16 += run.visibleUTF16
            return problems.count < 20
        }
        let indexed = index.allRuns()
        if indexed.count != index.count || index.count != runs.count {
            problems.append("index holds \(indexed.count) runs (counts \(index.count)); the tree \(runs.count)")
        }
        if Set(indexed.map(ObjectIdentifier.init)) != Set(runs) { problems.append("index and tree hold different runs") }
        for (left, right) in zip(indexed, indexed.dropFirst()) {
            if !RunIndexNode.precedes(left.start, right.start) {
                problems.append("index out of order at \(left.start), \(right.start)")
            } else if left.start.replica == right.start.replica && left.endCounter > right.start.counter {
                problems.append("runs \(left.start) and \(right.start) overlap")
            }
        }
        if visible != visibleCount || utf16 != utf16Count {
            problems.append("tree counts \(visibleCount) visible, \(utf16Count) UTF-16; the runs \(visible), \(utf16)")
        }
        return problems
    }

    /// Every element id in document order, tombstones included.
    var elementIDs: [OpID] {
        var ids: [OpID] = []
        tree.forEachRun { run in
            for offset in 0..<run.count { ids.append(run.start.advanced(by: UInt64(offset))) }
            return true
        }
        return ids
    }
}

extension Document {
    /// The list or text object `object` (for white-box checks).
    func sequenceObject(_ object: ObjectID) -> SequenceObject? {
        if case .sequence(let sequence)? = objects[object] { return sequence }
        return nil
    }

    /// Every list and text object and its invariant violations, for the objects with any.
    func sequenceInvariantViolations() -> [ObjectID: [String]] {
        var found: [ObjectID: [String]] = [:]
        for (id, object) in objects {
            if case .sequence(let sequence) = object {
                let problems = sequence.invariantViolations()
                if !problems.isEmpty { found[id] = problems }
            }
        }
        return found
    }
}
