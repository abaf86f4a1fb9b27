@testable import DealCardKit
@testable import SQLiteKit
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import Testing
import TestSupport

/// A showroom relay's positions with its upstream: the rules that move them (two requests
/// may be in flight) and how the store keeps them.
@Suite("Upstream positions")
struct UpstreamPositionTests {
    let page = SyncRound.FirstSyncPage(after: DealID("d-2")!, cursor: 40)

    @Test func onlyTheAnswerToARequestSentFromThePositionMovesIt() {
        let sent = UpstreamPosition(pushedThrough: 3, cursor: 10)
        var position = sent
        position.pulled(to: 15, firstSyncPage: nil, sentFrom: sent)
        #expect(position.cursor == 15)
        // The other loop's answer, to a request also sent from 10, comes later: it stays at 15.
        position.pulled(to: 12, firstSyncPage: nil, sentFrom: sent)
        #expect(position.cursor == 15)
        position.pushed(through: 8, sentFrom: sent)
        #expect(position.pushedThrough == 8)
    }

    @Test func firstSyncPagesMoveTheSameWay() {
        let start = UpstreamPosition.start
        var position = start
        position.pulled(to: 0, firstSyncPage: page, sentFrom: start)
        #expect(position.firstSyncPage == page && position.cursor == 0)
        // A stale answer for the first page again changes nothing.
        position.pulled(to: 0, firstSyncPage: SyncRound.FirstSyncPage(after: DealID("d-1")!, cursor: 40), sentFrom: start)
        #expect(position.firstSyncPage == page)
        let atPage = position
        position.pulled(to: 40, firstSyncPage: nil, sentFrom: atPage)
        #expect(position == UpstreamPosition(cursor: 40))
    }

    @Test func historyCompactedPullsAgainFromZeroAndKeepsWhatWasPushed() {
        let sent = UpstreamPosition(pushedThrough: 7, cursor: 20, firstSyncPage: nil)
        var position = sent
        let moved = position.resync(sentFrom: sent)
        #expect(moved)
        #expect(position == UpstreamPosition(pushedThrough: 7, cursor: 0))
        // An answer to a request from the old place, arriving after, changes nothing.
        var later = UpstreamPosition(pushedThrough: 7, cursor: 25)
        let movedLater = later.resync(sentFrom: sent)
        #expect(!movedLater)
        #expect(later.cursor == 25)
    }

    @Test func aResetStartsOverUnlessALaterAnswerMovedOn() {
        let sent = UpstreamPosition(pushedThrough: 9, cursor: 30)
        var position = sent
        let reset = position.restart(sentFrom: sent)
        #expect(reset && position == .start)
        // A push answer to a request sent before the reset does not undo it.
        position.pushed(through: 12, sentFrom: sent)
        #expect(position.pushedThrough == 0)
        // A cursor_ahead for a request sent from an older pull position is stale.
        var moved = UpstreamPosition(pushedThrough: 9, cursor: 35)
        let stale = moved.restart(sentFrom: sent)
        #expect(!stale && moved.cursor == 35)
    }

    @Test func theStoreKeepsOnePositionPerUpstream() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            #expect(try storage.upstreamPosition(upstream: "http://group:8080") == nil)
            let paging = UpstreamPosition(pushedThrough: 12, cursor: 0, firstSyncPage: page)
            try storage.saveUpstreamPosition(paging, upstream: "http://group:8080")
            try storage.saveUpstreamPosition(UpstreamPosition(pushedThrough: 1, cursor: 2), upstream: "http://other:8080")
            #expect(try storage.upstreamPosition(upstream: "http://group:8080") == paging)
            try storage.saveUpstreamPosition(UpstreamPosition(pushedThrough: 13, cursor: 40), upstream: "http://group:8080")
            storage.close()

            let reopened = try SQLiteRelayStorage(directory: directory.path)
            #expect(try reopened.upstreamPosition(upstream: "http://group:8080") == UpstreamPosition(pushedThrough: 13, cursor: 40))
            #expect(try reopened.upstreamPosition(upstream: "http://other:8080") == UpstreamPosition(pushedThrough: 1, cursor: 2))
            reopened.close()
        }
    }

    /// A store written by the build before positions were kept in it opens with none.
    @Test func aStoreOfThePreviousSchemaGainsTheTable() throws {
        try withTemporaryDirectory { directory in
            let steps = SQLiteRelayStorage.migrator.steps
            let step = try #require(steps.firstIndex { $0.name == "create upstream_position (showroom relay's positions with its upstream)" })
            do {
                let old = try SQLiteDatabase(path: directory.file(SQLiteRelayStorage.fileName))
                try SQLiteRelayStorage.migrator.migrate(old, upTo: step)
                old.close()
            }
            let storage = try SQLiteRelayStorage(directory: directory.path)
            #expect(try storage.schemaVersion == SQLiteRelayStorage.migrator.latestVersion)
            #expect(try storage.upstreamPosition(upstream: "http://group:8080") == nil)
            try storage.saveUpstreamPosition(UpstreamPosition(pushedThrough: 5, cursor: 6), upstream: "http://group:8080")
            #expect(try storage.upstreamPosition(upstream: "http://group:8080")?.cursor == 6)
            storage.close()
        }
    }
}
