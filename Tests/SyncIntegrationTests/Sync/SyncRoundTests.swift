import CRDT
@testable import DealCardKit
@testable import SyncProtocol
import Foundation
import Testing

/// The sync decisions as a pure value: no relay, no store, no clock.
@Suite("Sync round decisions")
struct SyncRoundTests {
    let deal = DealID("d-round")!
    let me = ReplicaID(0x77)

    private func item(seq: UInt64, blob: [UInt8] = [1, 2, 3]) -> OutboxItem {
        OutboxItem(ref: ChangeRef(deal: deal, document: .shared, change: ChangeID(replica: me, seq: seq)), blob: blob, createdAt: 0)
    }

    private func response(accepted: [ChangeRef] = [], refused: [RefusedChange] = [], changes: [LoggedChange] = [],
                          snapshots: [DocumentSnapshot] = [], cursor: LogPosition = 5, more: Bool = false) -> SyncResponse {
        SyncResponse(accepted: accepted, refused: refused, snapshots: snapshots, changes: changes, cursor: cursor, more: more)
    }

    @Test func aLongPollOnlyWhenThereIsNothingToSend() {
        let round = SyncRound(wait: 20)
        #expect(round.request(outbox: [], cursor: 3, localEditPending: false, limit: nil).wait == 20)
        #expect(round.request(outbox: [item(seq: 1)], cursor: 3, localEditPending: false, limit: nil).wait == 0)
        #expect(round.request(outbox: [], cursor: 3, localEditPending: true, limit: nil).wait == 0)
        #expect(round.request(outbox: [item(seq: 1)], cursor: 3, localEditPending: false, limit: 7).limit == 7)
    }

    @Test func theCursorIsSavedLastAndOnlyOneRebasePerDocument() throws {
        var round = SyncRound(wait: 20)
        let pushed = [item(seq: 4, blob: [4]), item(seq: 5, blob: [5]), item(seq: 6, blob: [6])]
        let refusals = [6, 5].map { seq in
            RefusedChange(ref: pushed[seq - 4].ref, code: seq == 5 ? .permission : .missingDependency, path: nil, reason: "no")
        }
        let actions = try round.receive(response(accepted: [pushed[0].ref], refused: refusals), pushed: pushed)
        #expect(actions == [
            .acknowledge([pushed[0].ref]),
            .rebase(refusals[1], pushed: [5]),
            .setCursor(5),
        ])
        #expect(round.report.refused.map(\.ref.seq) == [5])
        // After the first answer the round no longer long-polls.
        #expect(round.request(outbox: [], cursor: 5, localEditPending: false, limit: nil).wait == 0)
    }

    @Test func anUnreadableItemIsQuarantinedByItsIndex() throws {
        var round = SyncRound()
        let pushed = [item(seq: 1), item(seq: 2)]
        var refusal = RefusedChange(ref: ChangeRef(deal: deal, document: .shared, change: ChangeID(replica: ReplicaID(1), seq: 0)),
                                    code: .malformed, path: nil, reason: "bad blob")
        refusal.index = 1
        let actions = try round.receive(response(accepted: [pushed[0].ref], refused: [refusal]), pushed: pushed)
        #expect(actions.contains(.quarantine(pushed[1], refusal)))
        #expect(!actions.contains { if case .rebase = $0 { true } else { false } })
    }

    @Test func receivedChangesAreGroupedByDocumentInLogOrder() throws {
        let source = Document(replica: ReplicaID(0x91))
        let first = try source.change { try $0.put(.root, "vehicle.model", "Camry") }!
        let second = try source.change { try $0.put(.root, "vehicle.color", "white") }!
        let other = DealID("d-other")!
        var round = SyncRound()
        let actions = try round.receive(response(changes: [
            LoggedChange(cursor: 1, deal: deal, document: .shared, change: first.encoded()),
            LoggedChange(cursor: 2, deal: deal, document: .shared, change: second.encoded()),
            LoggedChange(cursor: 3, deal: other, document: .staff, change: first.encoded()),
        ], cursor: 3), pushed: [])
        #expect(actions == [
            .acknowledge([]),
            .apply([.init(deal: deal, document: .shared, changes: [first, second]), .init(deal: other, document: .staff, changes: [first])]),
            .setCursor(3),
        ])
        #expect(round.report.received == 3)
    }

    @Test func theBytesOfAnAnswerReachTheStoreAsReceived() throws {
        let source = Document(replica: ReplicaID(0x92))
        let change = try source.change { tx in
            try tx.put(.root, "vehicle.model", "Camry")
            try tx.put(.root, "vehicle.color", "white")
        }!
        let spelledOut = try #require(EncodingVariants.withoutSameObjectBit(change.encoded(), secondKey: "vehicle.color"))
        let snapshot = source.encodeSnapshot()
        let other = DealID("d-other")!
        var round = SyncRound()
        var answer = response(changes: [LoggedChange(cursor: 1, deal: deal, document: .shared, change: spelledOut)], cursor: 1)
        answer.snapshots = [DocumentSnapshot(deal: other, document: .shared, snapshot: snapshot)]
        let actions = try round.receive(answer, pushed: [])
        guard case .apply(let groups)? = actions.first(where: { if case .apply = $0 { true } else { false } }) else {
            Issue.record("no apply in \(actions)")
            return
        }
        #expect(groups.map(\.deal) == [other, deal])
        #expect(groups[0].snapshot?.blob == snapshot)
        #expect(try groups[0].snapshot?.changes == [change])
        #expect(groups[1].changes.map(\.blob) == [spelledOut])
        #expect(groups[1].changes.map(\.change) == [change])
    }

    @Test func aBrokenBlobInAnAnswerAppliesNothing() {
        var round = SyncRound()
        #expect(throws: SyncError.self) {
            _ = try round.receive(response(changes: [LoggedChange(cursor: 1, deal: deal, document: .shared, change: [0, 1, 2])]), pushed: [])
        }
    }

    @Test func aPagedFirstSyncEchoesWhereToGoOn() throws {
        var round = SyncRound(wait: 20)
        var page = response(cursor: 0, more: true)
        page.snapshotsAfter = DealID("d-100")
        page.bootstrapCursor = 42
        _ = try round.receive(page, pushed: [])
        let next = round.request(outbox: [], cursor: 0, localEditPending: false, limit: nil)
        #expect(next.snapshotsAfter == DealID("d-100"))
        #expect(next.bootstrapCursor == 42)
        #expect(next.wait == 0)
        #expect(round.cursorAhead() == [.resetCursor])
        #expect(round.request(outbox: [], cursor: 0, localEditPending: false, limit: nil).snapshotsAfter == nil)
    }

    /// After `409 history_compacted` the outbox waits for the first sync: pushed as they
    /// are, its changes made behind the horizon could only be refused. Once the first sync
    /// has ended, the round is not over while the outbox holds anything.
    @Test func afterHistoryCompactedTheFirstSyncPullsBeforeItPushes() throws {
        var round = SyncRound(wait: 20)
        let outbox = [item(seq: 4, blob: [4])]
        #expect(round.request(outbox: outbox, cursor: 7, localEditPending: false, limit: nil).push.count == 1)
        #expect(round.historyCompacted() == [.resetCursor])
        let first = round.request(outbox: outbox, cursor: 0, localEditPending: false, limit: nil)
        #expect(first.push.isEmpty && first.wait == 0)
        let answer = response(cursor: 9, more: false)
        _ = try round.receive(answer, to: first, pushed: [])
        #expect(!round.isFinished(after: answer, pushedCount: 0, remaining: 1), "the re-made edits wait to be pushed")
        #expect(round.request(outbox: outbox, cursor: 9, localEditPending: false, limit: nil).push.count == 1)
        #expect(!round.pullsBeforePushing)
    }

    @Test func aForwarderQuarantinesEveryRefusedItem() throws {
        var round = SyncRound(refusals: .quarantineEach)
        let pushed = [item(seq: 4, blob: [4]), item(seq: 5, blob: [5]), item(seq: 6, blob: [6])]
        let refusals = [5, 6].map { seq in
            RefusedChange(ref: pushed[seq - 4].ref, code: seq == 5 ? .permission : .missingDependency, path: nil, reason: "no")
        }
        let stranger = RefusedChange(ref: ChangeRef(deal: deal, document: .staff, change: ChangeID(replica: ReplicaID(9), seq: 1)),
                                     code: .permission, path: nil, reason: "not pushed here")
        let actions = try round.receive(response(accepted: [pushed[0].ref], refused: refusals + [stranger]), pushed: pushed)
        #expect(actions == [
            .acknowledge([pushed[0].ref]),
            .quarantine(pushed[1], refusals[0]),
            .quarantine(pushed[2], refusals[1]),
            .rebase(stranger, pushed: nil),
            .setCursor(5),
        ])
        #expect(round.report.refused.count == 3)
    }

    @Test func aFirstSyncGoesOnFromAPageKeptBetweenRounds() throws {
        let page = SyncRound.FirstSyncPage(after: DealID("d-100")!, cursor: 42)
        var round = SyncRound(wait: 20, firstSyncPage: page)
        let request = round.request(outbox: [], cursor: 0, localEditPending: false, limit: 2)
        #expect(request.snapshotsAfter == page.after && request.bootstrapCursor == 42)
        #expect(request.wait == 0, "no long-poll while pages wait")
        // The last page answers the log position the first one named, and the paging is over.
        let actions = try round.receive(response(cursor: 42), pushed: [])
        #expect(actions == [.acknowledge([]), .setCursor(42)])
        #expect(round.firstSyncPage == nil)
    }

    @Test(arguments: [
        (more: false, pushed: 3, remaining: 0, accepted: 3, finished: true),
        (more: true, pushed: 3, remaining: 0, accepted: 3, finished: false),
        (more: false, pushed: 3, remaining: 2, accepted: 1, finished: false),
        (more: false, pushed: 3, remaining: 3, accepted: 0, finished: true),
    ])
    func whenARoundIsOver(more: Bool, pushed: Int, remaining: Int, accepted: Int, finished: Bool) {
        let refs = (0..<accepted).map { item(seq: UInt64($0 + 1)).ref }
        let round = SyncRound()
        #expect(round.isFinished(after: response(accepted: refs, more: more), pushedCount: pushed, remaining: remaining) == finished)
    }
}
