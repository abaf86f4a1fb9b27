import DealCardKit
import CRDT
import SyncProtocol
@testable import SyncServer
import Foundation
import Testing

/// What a showroom relay pushes upstream in one request, and how far an answer moves it.
@Suite("Upstream outbox")
struct UpstreamOutboxTests {
    private func record(_ sequence: LogPosition, deal: String = "d-1", seq: UInt64) -> LogRecord {
        LogRecord(position: sequence, entry: NewLogEntry(
            dealership: "north", deal: DealID(deal)!, document: .shared, replica: 7, changeSequence: seq, blob: [UInt8(seq)],
            author: RelayFixtures.author, receivedAt: RelayFixtures.now))
    }

    @Test func aPushCoversTheAnsweredPrefixAndWhatCameFromUpstream() {
        let records = [record(4, seq: 1), record(5, deal: "d-up", seq: 1), record(6, seq: 2), record(8, seq: 3), record(9, deal: "d-up", seq: 2)]
        let fromUpstream = Set([records[1], records[4]].map { UpstreamOutbox.key($0.entry) })
        let outbox = UpstreamOutbox(records: records) { fromUpstream.contains($0) }
        #expect(outbox.items.map(\.ref.seq) == [1, 2, 3])
        #expect(outbox.items.allSatisfy { $0.ref.deal.rawValue == "d-1" })
        let refs = outbox.items.map(\.ref)
        #expect(outbox.pushedThrough(answered: Set(refs)) == 9, "all answered: through the last entry read")
        // The upstream's budget left the third item out: it and what follows go again.
        #expect(outbox.pushedThrough(answered: Set(refs.prefix(2))) == 7)
        #expect(outbox.pushedThrough(answered: []) == 3)
        #expect(outbox.upstreamKeys(through: 7) == [UpstreamOutbox.key(records[1].entry)])
    }
}
