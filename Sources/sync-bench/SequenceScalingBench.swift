import BenchCompare
import CRDT
import Foundation

/// How sequence operations scale with the length of a list or text.
///
/// Each figure starts from one long run (a text pasted as one insert, or a list filled by
/// one change of appends, so that every element sits in the same run) and deletes its
/// elements one at a time in a given order:
///
/// - `sequence.local_text_delete` / `sequence.local_list_delete`: local edits, one change
///   per deleted element (a user pressing delete);
/// - `sequence.remote_text_delete` / `sequence.remote_list_delete`: one received change
///   holding all `n` single-element delete ops, applied as a relay or a device applies it;
///
/// or inserts `n` single elements into it, each splitting a run
/// (`sequence.local_text_insert`, one change each; `sequence.remote_list_insert`, one
/// received change of `n` insert ops).
///
/// Orders: `ascending` and `descending` (by position, which is id order in one run),
/// `alternate` (every other element, then the rest) and `random` (seeded). Every figure
/// prints `ns_per_op` (the median of `runs` runs) and `ratio_to_1k`, its time per op over
/// the same figure at n = 1,000 measured in the same run: an operation that is O(log n)
/// keeps the ratio near 1, an O(n) one makes it grow about tenfold per tenfold n. Sizes go
/// up to ``Change/maximumOps``, the most ops the one remote change of a figure may hold.
func benchSequenceScaling(sizes requested: [Int], seed: UInt64) throws {
    let sizes = requested.contains(1_000) ? requested : [1_000] + requested
    let deleteOrders = ["ascending", "descending", "alternate", "random"]
    let insertOrders = ["ascending", "random"]
    typealias Measure = (_ kind: ObjectKind, _ order: String, _ n: Int, _ random: inout SplitMix64) throws -> Double
    let figures: [(name: String, kind: ObjectKind, orders: [String], measure: Measure)] = [
        ("sequence.local_text_delete", .text, deleteOrders, timeLocalDeletes),
        ("sequence.local_list_delete", .list, deleteOrders, timeLocalDeletes),
        ("sequence.remote_text_delete", .text, deleteOrders, timeRemoteDeletes),
        ("sequence.remote_list_delete", .list, deleteOrders, timeRemoteDeletes),
        ("sequence.local_text_insert", .text, insertOrders, timeLocalInserts),
        ("sequence.remote_list_insert", .list, insertOrders, timeRemoteInserts),
    ]
    for figure in figures {
        for order in figure.orders {
            var baseline: Double?
            for n in sizes.sorted() {
                // The median of a few runs, so that the small sizes are not one noisy sample.
                let runs = n <= 10_000 ? 5 : 3
                let samples = try (0..<runs).map { _ in
                    var random = SplitMix64(seed: seed)
                    return try figure.measure(figure.kind, order, n, &random) / Double(n)
                }
                let perOp = median(samples)
                if n == 1_000 { baseline = perOp }
                report([
                    "bench": figure.name, "order": order, "n": n, "seed": seed, "runs": runs,
                    "ns_per_op": round2(perOp), "ratio_to_1k": ratio(perOp, baseline ?? perOp),
                ])
            }
        }
    }
}

/// For each of `count` deletions, the position (among the elements still there) of the
/// element to delete, so that the deleted elements follow `order`.
private func deletionPositions(count: Int, order: String, random: inout SplitMix64) -> [Int] {
    switch order {
    case "ascending":
        return Array(repeating: 0, count: count)
    case "descending":
        return (0..<count).map { count - 1 - $0 }
    case "alternate":
        // Positions 0, 2, 4, … of the original (each deletion shifts the rest left by one),
        // then what is left from the front.
        let firstPass = (count + 1) / 2
        return (0..<firstPass).map { $0 } + Array(repeating: 0, count: count - firstPass)
    default:
        // A uniformly random remaining element each time: a uniformly random order.
        return (0..<count).map { Int(random.next() % UInt64(count - $0)) }
    }
}

/// A document holding one list or text of `count` elements in one run, that object, and
/// the id of its first element. A list is filled by changes of at most
/// ``Change/maximumOps`` appends; each follows on from the one before (nothing else takes a
/// counter in between), so they all extend the same run.
private func longRun(kind: ObjectKind, count: Int, replica: ReplicaID) throws -> (Document, ObjectID, OpID) {
    let document = Document(replica: replica)
    var object = ObjectID.root
    try document.change { object = try $0.putObject(.root, "items", kind) }
    let first = OpID(counter: document.maxCounter + 1, replica: replica)
    if kind == .text {
        try document.change { try $0.splice(object, at: 0, insert: String(repeating: "x", count: count)) }
    } else {
        for chunk in stride(from: 0, to: count, by: Change.maximumOps) {
            try document.change { tx in
                for index in chunk..<min(chunk + Change.maximumOps, count) { try tx.insert(object, at: index, .int(Int64(index))) }
            }
        }
    }
    return (document, object, first)
}

/// Nanoseconds taken by deleting the `n` elements of one run in `order`, one local change
/// per deletion.
private func timeLocalDeletes(kind: ObjectKind, order: String, n: Int, random: inout SplitMix64) throws -> Double {
    let positions = deletionPositions(count: n, order: order, random: &random)
    let (document, object, _) = try longRun(kind: kind, count: n, replica: ReplicaID(1))
    let start = DispatchTime.now().uptimeNanoseconds
    for position in positions {
        try document.change { tx in
            if kind == .text {
                try tx.splice(object, at: position, delete: 1)
            } else {
                try tx.remove(object, at: position)
            }
        }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    guard try document.length(object) == 0 else { throw BenchError("local deletes left elements behind") }
    return elapsed
}

/// Nanoseconds taken by applying one received change that deletes the `n` elements of one
/// run in `order` (one op each) to a replica that holds the run.
private func timeRemoteDeletes(kind: ObjectKind, order: String, n: Int, random: inout SplitMix64) throws -> Double {
    let positions = deletionPositions(count: n, order: order, random: &random)
    let (author, object, first) = try longRun(kind: kind, count: n, replica: ReplicaID(1))
    let receiver = Document(replica: ReplicaID(2), changes: author.history)
    // The element ids in document order: one run, so they are consecutive. The change is
    // built from ids (as it arrives on the wire), which keeps its making cheap.
    var remaining = RemainingElements(count: positions.count)
    var ops: [Op] = []
    ops.reserveCapacity(positions.count)
    for position in positions {
        let element = first.advanced(by: UInt64(remaining.remove(at: position)))
        ops.append(Op(object: object, action: kind == .text
            ? .deleteRun(start: element, count: 1)
            : .delete(.element(element), pred: [element])))
    }
    let change = Change(replica: author.replica, seq: author.version[author.replica] + 1, startOp: author.maxCounter + 1,
                        deps: VersionVector(), metadata: [], ops: ops)
    let start = DispatchTime.now().uptimeNanoseconds
    let report = receiver.apply([change])
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    guard report.applied == [change.id], try receiver.length(object) == 0 else {
        throw BenchError("the remote delete change was not applied whole: \(report.refused)")
    }
    return elapsed
}

/// Nanoseconds taken by `n` local one-element inserts into a run of `n` elements, one
/// change each: after each original element in turn (`ascending`), or at random positions.
private func timeLocalInserts(kind: ObjectKind, order: String, n: Int, random: inout SplitMix64) throws -> Double {
    let (document, object, _) = try longRun(kind: kind, count: n, replica: ReplicaID(1))
    let positions = (0..<n).map { order == "ascending" ? 2 * $0 + 1 : Int(random.next() % UInt64(n + $0 + 1)) }
    let start = DispatchTime.now().uptimeNanoseconds
    for (number, position) in positions.enumerated() {
        try document.change { tx in
            if kind == .text {
                try tx.splice(object, at: position, insert: "y")
            } else {
                try tx.insert(object, at: position, .int(Int64(number)))
            }
        }
    }
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    guard try document.length(object) == 2 * n else { throw BenchError("local inserts went missing") }
    return elapsed
}

/// Nanoseconds taken by applying one received change of `n` one-element inserts into a run
/// of `n` elements: after each original element in turn (`ascending`), or after random ones.
private func timeRemoteInserts(kind: ObjectKind, order: String, n: Int, random: inout SplitMix64) throws -> Double {
    let (author, object, first) = try longRun(kind: kind, count: n, replica: ReplicaID(1))
    let receiver = Document(replica: ReplicaID(2), changes: author.history)
    let ops = (0..<n).map { number in
        let origin = first.advanced(by: order == "ascending" ? UInt64(number) : random.next() % UInt64(n))
        return Op(object: object, action: kind == .text ? .insertText(after: origin, ["y"]) : .insert(after: origin, .scalar(.int(Int64(number)))))
    }
    let change = Change(replica: author.replica, seq: author.version[author.replica] + 1, startOp: author.maxCounter + 1,
                        deps: VersionVector(), metadata: [], ops: ops)
    let start = DispatchTime.now().uptimeNanoseconds
    let report = receiver.apply([change])
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start)
    guard report.applied == [change.id], try receiver.length(object) == 2 * n else {
        throw BenchError("the remote insert change was not applied whole: \(report.refused)")
    }
    return elapsed
}

/// The original indexes `0..<count` not removed yet, with the k-th of them found and
/// removed in O(log count) (a Fenwick tree of presence counts), so that making a change of
/// 100,000 deletes in random order does not dominate the run.
private struct RemainingElements {
    private var tree: [Int]
    private let top: Int

    init(count: Int) {
        tree = Array(repeating: 0, count: count + 1)
        for index in stride(from: 1, through: count, by: 1) {
            tree[index] += 1
            let parent = index + (index & -index)
            if parent <= count { tree[parent] += tree[index] }
        }
        var power = 1
        while power * 2 <= count { power *= 2 }
        top = power
    }

    /// Removes and returns the original index of the `rank`-th (0-based) remaining element.
    mutating func remove(at rank: Int) -> Int {
        var position = 0
        var left = rank + 1
        var step = top
        while step > 0 {
            if position + step < tree.count && tree[position + step] < left {
                position += step
                left -= tree[position]
            }
            step /= 2
        }
        var index = position + 1
        while index < tree.count {
            tree[index] -= 1
            index += index & -index
        }
        return position
    }
}
