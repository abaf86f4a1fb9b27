import CRDT
import DealCardKit
@testable import SyncServer
import Testing
import TestSupport

/// The relay's document cache keeps a running total of its entries' weights, brought up to
/// date from the entries used since the last trim, instead of weighing every entry on every
/// request; the total must always be what weighing them all gives.
@Suite("Relay document cache weight")
struct RelayDocumentCacheWeightTests {
    @Test(arguments: RepeatableRandom.seeds(pinned: [1, 2, 3, 4, 5, 6, 7, 8], countVariable: "CACHE_SEEDS"))
    func theRunningWeightIsAlwaysTheEntriesWeight(seed: UInt64) throws {
        var random = RepeatableRandom(seed: seed)
        let cache = RelayDocumentCache(capacity: 12, byteCapacity: 40_000)
        let keys = (0..<20).map { RelayDocumentCache.Key(dealership: "north", deal: DealID("d-\($0)")!, document: .shared) }
        for step in 0..<400 {
            let key = random.pick(keys)
            switch random.int(0..<10) {
            case 0...2:
                cache.insert(Document(replica: ReplicaID(UInt64(step + 1))), storedBytes: random.int(0..<2_000), for: key)
            case 3:
                cache.remove(key)
            case 4...7:
                // A push grows a cached document: more op counters and stored bytes.
                guard let entry = cache.entry(key) else { continue }
                try entry.document.change { tx in
                    for index in 0..<random.int(1..<6) { try tx.put(.root, "k\(index)", .int(Int64(step))) }
                }
                entry.storedBytes += random.int(10..<300)
            default:
                cache.trim()
                #expect(cache.count <= 12, "seed \(seed), step \(step)")
                #expect(cache.totalWeight <= 40_000 || cache.count <= 1, "seed \(seed), step \(step): \(cache.totalWeight) bytes kept")
            }
            #expect(cache.runningWeight == cache.totalWeight, "seed \(seed), step \(step)")
        }
    }
}
