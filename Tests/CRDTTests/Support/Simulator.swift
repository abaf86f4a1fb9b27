@testable import CRDT
import TestSupport

/// Drives several replicas through random local edits and random, partial, reordered and
/// duplicated deliveries, then delivers everything and checks that all replicas agree.
/// Every step is logged, so a failing seed prints a readable reproduction.
struct Simulator {
    var replicas: [Document]
    var random: RepeatableRandom
    var log: [String] = []
    private(set) var opsMade = 0

    init(seed: UInt64, replicaCount: Int) {
        random = RepeatableRandom(seed: seed)
        replicas = (0..<replicaCount).map { Document(replica: ReplicaID(UInt64($0 + 1) * 0x1_0000_0001)) }
    }

    /// Runs `steps` random actions.
    mutating func run(steps: Int) throws {
        for _ in 0..<steps {
            if random.chance(70) {
                try edit(random.int(0..<replicas.count))
            } else {
                let from = random.int(0..<replicas.count)
                var to = random.int(0..<replicas.count - 1)
                if to >= from { to += 1 }
                deliver(from: from, to: to)
            }
        }
    }

    /// Delivers a random part of what `to` lacks from `from`, shuffled, with duplicates.
    mutating func deliver(from: Int, to: Int) {
        var changes = replicas[from].changes(since: replicas[to].version)
        changes.shuffle(using: &random)
        let kept = changes.filter { _ in random.chance(75) }
        let duplicated = kept + kept.filter { _ in random.chance(20) }
        log.append("deliver \(from) -> \(to): \(duplicated.map(\.id.description).joined(separator: " "))")
        let report = replicas[to].apply(duplicated)
        precondition(report.refused.isEmpty, "valid change refused: \(report.refused)")
    }

    /// Delivers everything to everyone.
    mutating func syncAll() {
        for _ in 0..<2 {
            for from in replicas.indices {
                for to in replicas.indices where to != from {
                    replicas[to].apply(replicas[from].changes(since: replicas[to].version))
                }
            }
        }
        log.append("sync all")
    }

    /// One random change of 1–3 random edits on replica `index`.
    mutating func edit(_ index: Int) throws {
        let doc = replicas[index]
        let objects = try doc.reachableObjects()
        let editCount = random.int(1..<4)
        var described: [String] = []
        try doc.change { tx in
            for _ in 0..<editCount {
                let (object, kind) = objects[random.int(0..<objects.count)]
                if let description = try randomEdit(tx, doc, object, kind) { described.append(description) }
            }
        }
        opsMade += described.count
        log.append("replica \(index): " + described.joined(separator: "; "))
    }

    private mutating func scalar() -> ScalarValue {
        switch random.int(0..<6) {
        case 0: return .int(Int64(random.int(-1000..<1000)))
        case 1: return .string(["Camry", "RAV4", "🚗", "é", ""][random.int(0..<5)])
        case 2: return .bool(random.chance(50))
        case 3: return .counter(Int64(random.int(0..<10)))
        case 4: return .null
        default: return .double(Double(random.int(0..<100)) / 4)
        }
    }

    private mutating func randomEdit(_ tx: Transaction, _ doc: Document, _ object: ObjectID, _ kind: ObjectKind) throws -> String? {
        switch kind {
        case .map:
            let key = "k\(random.int(0..<4))"
            let roll = random.int(0..<100)
            if roll < 10 {
                let childKind = ObjectKind.allCases[random.int(0..<3)]
                let child = try tx.putObject(object, key, childKind)
                return "\(object).\(key) = new \(childKind) \(child)"
            } else if roll < 25 {
                try tx.delete(object, key)
                return "delete \(object).\(key)"
            } else if roll < 40, case .scalar(.counter)? = try doc.get(object, key) {
                try tx.increment(object, key, by: Int64(random.int(-3..<4)))
                return "increment \(object).\(key)"
            }
            let value = scalar()
            try tx.put(object, key, value)
            return "\(object).\(key) = \(value)"
        case .list:
            let length = try doc.length(object)
            let roll = random.int(0..<100)
            if length > 0 && roll < 25 {
                let at = random.int(0..<length)
                try tx.remove(object, at: at)
                return "remove \(object)[\(at)]"
            } else if length > 0 && roll < 45 {
                let at = random.int(0..<length)
                if case .scalar(.counter)? = try doc.get(object, at: at), random.chance(50) {
                    try tx.increment(object, at: at, by: 1)
                    return "increment \(object)[\(at)]"
                }
                let value = scalar()
                try tx.set(object, at: at, value)
                return "\(object)[\(at)] = \(value)"
            } else if roll < 50 {
                let at = random.int(0..<(length + 1))
                try tx.insertObject(object, at: at, .map)
                return "insert map at \(object)[\(at)]"
            }
            let at = random.int(0..<(length + 1))
            let value = scalar()
            try tx.insert(object, at: at, value)
            return "insert \(value) at \(object)[\(at)]"
        case .text:
            let length = try doc.length(object)
            let at = random.int(0..<(length + 1))
            let deleteCount = length > at && random.chance(40) ? random.int(1..<(min(4, length - at) + 1)) : 0
            let words = ["a", "bc", "déf", "🚗", "ghij", " "]
            let insert = random.chance(80) ? words[random.int(0..<words.count)] : ""
            if deleteCount == 0 && insert.isEmpty { return nil }
            try tx.splice(object, at: at, delete: deleteCount, insert: insert)
            return "splice \(object) at \(at) delete \(deleteCount) insert \(insert.debugDescription)"
        }
    }

    /// The last `count` log lines: the reproduction printed on failure.
    func tail(_ count: Int = 40) -> String {
        log.suffix(count).joined(separator: "\n")
    }
}
