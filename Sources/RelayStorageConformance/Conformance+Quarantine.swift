import CRDT
import Foundation
import SyncServer

extension RelayStorageConformance {
    static let quarantineChecks: [Check] = [
        Check("quarantine ids increase with each entry", quarantineIDsIncrease),
        Check("the quarantine lists the newest first, at most limit", quarantineIsNewestFirst),
        Check("a quarantined entry keeps every field", quarantinedEntryKeepsEveryField),
    ]

    static func quarantineIDsIncrease(_ storage: any RelayStorage) throws {
        var ids: [Int64] = []
        for seq in UInt64(1)...3 { ids.append(try storage.insertQuarantine(Fixture.quarantined(seq: seq))) }
        try expect(ids[0] < ids[1] && ids[1] < ids[2], "quarantine ids increase: \(ids)")
        try expectEqual(try storage.quarantine(limit: 10).map(\.id), ids.reversed(), "the ids listed")
    }

    static func quarantineIsNewestFirst(_ storage: any RelayStorage) throws {
        // Inserted with the newest time first: the order is that of insertion.
        let entries = (UInt64(1)...3).map { Fixture.quarantined(seq: $0, at: Fixture.now - Double($0)) }
        var ids: [Int64] = []
        for entry in entries { ids.append(try storage.insertQuarantine(entry)) }
        try expectEqual(try storage.quarantine(limit: 10), zip(ids, entries).reversed().map { QuarantineRecord(id: $0, entry: $1) },
                        "quarantine(limit: 10)")
        try expectEqual(try storage.quarantine(limit: 2).map(\.entry.changeSequence), [3, 2], "quarantine(limit: 2)")
        try expectEqual(try storage.quarantine(limit: 0), [], "quarantine(limit: 0)")
    }

    static func quarantinedEntryKeepsEveryField(_ storage: any RelayStorage) throws {
        // A deal that need not exist, seq and replica beyond Int64.max, an empty blob and a time
        // with a sub-millisecond part (kept rounded).
        let entry = QuarantineEntry(deal: Fixture.id("unknown-deal"), document: .shared, replica: ReplicaID(UInt64.max),
                                    changeSequence: UInt64(Int64.max) + 1, blob: [], senderUser: "mallory", senderDevice: "tablet-9",
                                    reason: "names a deal its sender cannot reach ✓",
                                    quarantinedAt: Date(timeIntervalSince1970: 1_750_000_000.1236))
        let id = try storage.insertQuarantine(entry)
        let stored = try storage.quarantine(limit: 1)
        try expectEqual(stored.map(\.id), [id], "the quarantine's ids")
        guard let read = stored.first?.entry else { return }
        try expectMilliseconds(read.quarantinedAt, 1_750_000_000_124, "quarantinedAt")
        var expected = entry
        expected.quarantinedAt = read.quarantinedAt
        try expectEqual(read, expected, "the entry read back")
        let blob = Fixture.quarantined(blob: Array(UInt8.min...UInt8.max))
        try storage.insertQuarantine(blob)
        try expectEqual(try storage.quarantine(limit: 1).first?.entry, blob, "an entry with every byte value")
    }
}
