@testable import DealCardKit
@testable import SyncProtocol
@testable import SyncServer
import Foundation
import HTTP1
import RelayTestSupport
import Testing
import TestSupport

/// A commit wakes only the long-polls that may read one of its entries, and long-polls woken
/// together with the same visibility and cursor share one answer (issue 12).
///
/// "Not woken" is checked without timing: the relay counts wake-ups
/// (`relay_longpoll_wakeups_total`) before the committing request is answered, and a
/// long-poll that was not woken is still filed (`relay_longpolls_waiting`) after the commit
/// and ends only at its `wait`, with an empty answer.
@Suite("Targeted fan-out of long-polls", .serialized)
struct TargetedFanOutTests {
    /// The `wait` of a long-poll that must not be woken: its answer comes at that time.
    static let unwokenWait = 4
    /// The `wait` of a long-poll that must be woken (it would answer empty after it).
    static let wokenWait = 12

    @Test func aBuyersWatcherIsNotWokenByAnotherBuyersDeal() async throws {
        let harness = try SyncHarness()
        let ivan = try harness.device("ivan", .buyer, channel: .web)
        let anna = try harness.device("anna", .buyer, channel: .phone)
        _ = try await ivan.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await ivan.sync()
        // Behind the log's end: the long-poll reads what it may see after it first, and waits.
        let cursor = try await harness.cursorNow(token: ivan.token)
        let theirs = try await anna.store.createDeal(values: ["vehicle.model": .text("RAV4")])
        try await anna.sync()
        let woken = harness.wakeups

        async let ivanWatch = harness.watch(token: ivan.token, cursor: cursor, wait: Self.unwokenWait)
        try await harness.waitForLongPolls(1)
        try await anna.store.set(theirs, "credit.downPayment", parsing: "300 000")
        try await anna.sync()
        #expect(harness.wakeups == woken, "another buyer's deal woke the watcher")
        #expect(harness.longPollsWaiting == 1)

        let answer = try await ivanWatch
        #expect(answer.elapsed >= .seconds(Self.unwokenWait))
        #expect(answer.response.changes.isEmpty)
        #expect(answer.response.cursor > cursor, "the answer at the end of the wait moves past what the buyer may not read")
        await harness.stop()
    }

    @Test func aStaffCardChangeWakesSalesButNotTheBuyerOfTheDeal() async throws {
        let harness = try SyncHarness()
        let ivan = try harness.device("ivan", .buyer, channel: .web)
        let olga = try harness.device("olga", .sales, channel: .pc)
        let deal = try await ivan.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await ivan.sync()
        try await olga.sync()
        let cursor = try await harness.cursorNow(token: olga.token)
        let watcher = try harness.token("petr", .sales)
        let woken = harness.wakeups

        // The staff card of the buyer's own deal: the sales watcher only.
        async let ivanWatch = harness.watch(token: ivan.token, cursor: cursor, wait: Self.unwokenWait)
        async let salesWatch = harness.watch(token: watcher, cursor: cursor, wait: Self.wokenWait)
        try await harness.waitForLongPolls(2)
        try await olga.store.set(deal, "staff.notes", .text("VIP, offer winter tyres"))
        try await olga.sync()
        #expect(harness.wakeups == woken + 1)
        #expect(harness.longPollsWaiting == 1, "the buyer's watcher was woken by the staff card")
        let sales = try await salesWatch
        #expect(sales.elapsed < .seconds(Self.wokenWait))
        #expect(sales.response.changes.map(\.document) == [.staff])
        #expect(sales.response.changes.map(\.deal) == [deal])
        let buyer = try await ivanWatch
        #expect(buyer.elapsed >= .seconds(Self.unwokenWait))
        #expect(buyer.response.changes.isEmpty, "the buyer received the staff card")

        // The shared card of the same deal: both.
        let next = try await harness.cursorNow(token: olga.token)
        async let ivanAgain = harness.watch(token: ivan.token, cursor: next, wait: Self.wokenWait)
        async let salesAgain = harness.watch(token: watcher, cursor: next, wait: Self.wokenWait)
        try await harness.waitForLongPolls(2)
        try await olga.store.set(deal, "vehicle.price", parsing: "2 330 000")
        try await olga.sync()
        #expect(harness.wakeups == woken + 3)
        #expect(harness.longPollsWaiting == 0)
        for answer in try await [ivanAgain, salesAgain] {
            #expect(answer.elapsed < .seconds(Self.wokenWait))
            #expect(answer.response.changes.map(\.document) == [.shared])
            #expect(answer.response.changes.map(\.deal) == [deal])
        }
        await harness.stop()
    }

    @Test func aDealScopedWatcherIsWokenOnlyByItsDeal() async throws {
        let harness = try SyncHarness()
        let olga = try harness.device("olga", .sales, channel: .pc)
        let scoped = try await olga.store.createDeal(values: ["vehicle.model": .text("Camry")])
        let other = try await olga.store.createDeal(values: ["vehicle.model": .text("RAV4")])
        try await olga.sync()
        let kiosk = try harness.token("kiosk", .sales, device: "showroom-kiosk", deal: scoped)
        let woken = harness.wakeups

        let cursor = try await harness.cursorNow(token: olga.token)
        async let unwoken = harness.watch(token: kiosk, cursor: cursor, wait: Self.unwokenWait)
        try await harness.waitForLongPolls(1)
        try await olga.store.set(other, "vehicle.price", parsing: "3 100 000")
        try await olga.store.set(other, "staff.notes", .text("fleet order"))
        try await olga.sync()
        #expect(harness.wakeups == woken, "another deal woke the deal-scoped watcher")
        #expect(harness.longPollsWaiting == 1)
        let quiet = try await unwoken
        #expect(quiet.elapsed >= .seconds(Self.unwokenWait))
        #expect(quiet.response.changes.isEmpty)

        let next = try await harness.cursorNow(token: olga.token)
        async let watch = harness.watch(token: kiosk, cursor: next, wait: Self.wokenWait)
        try await harness.waitForLongPolls(1)
        try await olga.store.set(scoped, "vehicle.price", parsing: "2 330 000")
        try await olga.sync()
        #expect(harness.wakeups == woken + 1)
        let answer = try await watch
        #expect(answer.response.changes.map(\.deal) == [scoped])
        await harness.stop()
    }

    @Test func anotherDealershipsCommitWakesNobodyHere() async throws {
        let harness = try SyncHarness()
        let olga = try harness.device("olga", .sales, channel: .pc)
        let rival = try harness.device("rival", .sales, channel: .pc, dealership: "south")
        let deal = try await olga.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await olga.sync()
        // Same deal id in the other dealership: ids are scoped by dealership.
        try await rival.store.createDeal(id: deal, values: ["vehicle.model": .text("Lada")])
        try await rival.sync()
        let head = try harness.token("boss", .head)
        let cursor = try await harness.cursorNow(token: head)
        let woken = harness.wakeups

        async let northWatch = harness.watch(token: head, cursor: cursor, wait: Self.unwokenWait)
        async let buyerWatch = harness.watch(token: try harness.token("ivan", .buyer), cursor: cursor, wait: Self.unwokenWait)
        try await harness.waitForLongPolls(2)
        try await rival.store.set(deal, "vehicle.price", parsing: "990 000")
        try await rival.store.set(deal, "staff.notes", .text("south only"))
        try await rival.sync()
        #expect(harness.wakeups == woken, "a commit of dealership south woke a watcher of north")
        #expect(harness.longPollsWaiting == 2)
        for answer in try await [northWatch, buyerWatch] {
            #expect(answer.elapsed >= .seconds(Self.unwokenWait))
            #expect(answer.response.changes.isEmpty)
        }
        await harness.stop()
    }

    @Test func watchersWithTheSameVisibilityAndCursorShareOneByteIdenticalAnswer() async throws {
        let harness = try SyncHarness()
        let ivan = try harness.device("ivan", .buyer, channel: .web)
        let deal = try await ivan.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await ivan.sync()
        let olga = try harness.token("olga", .sales, device: "olga-pc")
        let petr = try harness.token("petr", .sales, device: "petr-tablet")
        let cursor = try await harness.cursorNow(token: olga)
        let woken = harness.wakeups
        let built = harness.answersBuilt

        async let first = harness.watch(token: olga, cursor: cursor, wait: Self.wokenWait)
        async let second = harness.watch(token: petr, cursor: cursor, wait: Self.wokenWait)
        try await harness.waitForLongPolls(2)
        try await ivan.store.set(deal, "credit.downPayment", parsing: "300 000")
        try await ivan.sync()
        let (one, two) = try await (first, second)
        #expect(harness.wakeups == woken + 2)
        #expect(harness.answersBuilt == built + 1, "two watchers of one visibility and cursor had their answer built twice")
        #expect(one.body == two.body)
        #expect(one.response.changes.count == 1)
        #expect(one.response.changes.first?.deal == deal)
        #expect(one.response.changes.first?.cursor == one.response.cursor)
        await harness.stop()
    }

    @Test func anIntegrationWriteWakesOnlyTheWatchersOfItsDeal() async throws {
        let harness = try SyncHarness()
        let ivan = try harness.device("ivan", .buyer, channel: .kiosk)
        let anna = try harness.device("anna", .buyer, channel: .phone)
        let mine = try await ivan.store.createDeal(values: ["vehicle.model": .text("RAV4")])
        try await ivan.sync()
        _ = try await anna.store.createDeal(values: ["vehicle.model": .text("Camry")])
        try await anna.sync()
        let gateway = try harness.token("gateway", .integration)
        let cursor = try await harness.cursorNow(token: ivan.token)
        let woken = harness.wakeups

        async let ivanWatch = harness.watch(token: ivan.token, cursor: cursor, wait: Self.wokenWait)
        async let annaWatch = harness.watch(token: anna.token, cursor: cursor, wait: Self.unwokenWait)
        try await harness.waitForLongPolls(2)
        let answer = try await harness.integrationPost("/v1/integration/deals/\(mine)", token: gateway,
                                                       #"{"fields": {"payment.status": "captured"}}"#)
        #expect(answer.status == 200, "\(answer.text)")
        #expect(harness.wakeups == woken + 1)
        #expect(harness.longPollsWaiting == 1)
        let seen = try await ivanWatch
        #expect(seen.response.changes.map(\.deal) == [mine])
        let quiet = try await annaWatch
        #expect(quiet.elapsed >= .seconds(Self.unwokenWait))
        #expect(quiet.response.changes.isEmpty)
        await harness.stop()
    }

    @Test func aWatcherWhoseClientLeavesIsForgotten() async throws {
        let harness = try SyncHarness()
        let olga = try harness.token("olga", .sales)
        let body = #"{"protocol": 1, "cursor": 0, "push": [], "wait": 30}"#
        await #expect(throws: (any Error).self) {
            _ = try await SocketHTTPClient().send(method: "POST", url: URL(string: harness.url + "/v1/sync")!,
                                                  headers: ["Authorization": "Bearer \(olga)", "Content-Type": "application/json"],
                                                  body: Array(body.utf8), timeout: 1)
        }
        // The relay notices the closed connection and drops the long-poll well before its 30 s.
        let deadline = ContinuousClock.now + .seconds(10)
        while harness.longPollsWaiting > 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(harness.longPollsWaiting == 0)
        await harness.stop()
    }

    @Test func closingTheRelayEndsEveryWait() async throws {
        let folder = try TemporaryDirectory()
        let storage = try SQLiteRelayStorage(directory: folder.path)
        let now = Date()
        let tokens = [
            TokenRecord(id: "tok_00000001", storedHash: "a", user: "olga", role: .sales, dealership: "north", createdAt: now,
                        expiresAt: now + 3_600),
            TokenRecord(id: "tok_00000002", storedHash: "b", user: "ivan", role: .buyer, dealership: "north", createdAt: now,
                        expiresAt: now + 3_600),
        ]
        let relay = Relay(storage: storage)
        let waits = tokens.map { token in
            Task { await relay.sync(SyncRequest(cursor: 0, push: [], wait: 30), token: token) }
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while relay.metrics.longPollsWaiting.value < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(relay.metrics.longPollsWaiting.value == 2)
        await relay.close()
        for wait in waits {
            guard case .failure(let error) = await wait.value else {
                Issue.record("a long-poll outlived the relay")
                continue
            }
            #expect(error.code == .unavailable)
        }
    }

    @Test func theWakeUpIndexMatchesCanSee() {
        let now = Date()
        func token(_ user: String, _ role: Role, dealership: String = "north", deal: String? = nil, relay: Bool = false) -> TokenRecord {
            TokenRecord(id: "tok_\(user)", storedHash: user, user: user, role: role, dealership: dealership, deal: deal, createdAt: now,
                        expiresAt: now + 60, isRelay: relay)
        }
        let tokens = [
            token("ivan", .buyer), token("anna", .buyer), token("olga", .sales), token("boss", .head), token("rival", .head, dealership: "south"),
            token("kiosk", .sales, deal: "d-1"), token("kid", .buyer, deal: "d-2"), token("odd", .sales, deal: "not a deal id"),
            token("showroom", .head, relay: true), token("ivan", .buyer, dealership: "south"),
        ]
        let deals = [
            DealRecord(id: DealID("d-1")!, dealership: "north", buyerUser: "ivan", createdAt: now, createdBy: "ivan"),
            DealRecord(id: DealID("d-2")!, dealership: "north", buyerUser: "anna", createdAt: now, createdBy: "olga"),
            DealRecord(id: DealID("d-3")!, dealership: "north", buyerUser: nil, createdAt: now, createdBy: "olga"),
            DealRecord(id: DealID("d-1")!, dealership: "south", buyerUser: "ivan", createdAt: now, createdBy: "ivan"),
        ]
        for token in tokens {
            let scope = ReadScope(token: token, documents: [.shared])
            for deal in deals {
                #expect(scope.includes(deal) == Relay.canSee(deal, token), "\(token.user) \(token.dealership) \(deal)")
                // The index wakes exactly the waiters that can see a committed deal.
                var index = LongPollIndex<String>()
                index.insert(token.user, id: UUID(), scope: scope, shape: .init(cursor: 7, limit: 2_000))
                let woken = index.takeWoken(by: [.init(dealership: deal.dealership, deal: deal.id, document: .shared)]) { _, _ in
                    deal.buyerUser.map { .user($0) } ?? .none
                }
                #expect(woken.isEmpty != Relay.canSee(deal, token), "\(token.user) \(token.dealership) \(deal)")
            }
        }
    }

    @Test func theWakeUpIndexFilesByDocumentAndGivesOutBatchesThatShareAnAnswer() {
        let north = { (deals: ReadScope.Deals, documents: Set<DealDocumentKind>) in
            ReadScope(dealership: "north", deals: deals, documents: documents)
        }
        let atSeven = LongPollIndex<String>.Shape(cursor: 7, limit: 2_000)
        var index = LongPollIndex<String>()
        let ids = (0..<7).map { _ in UUID() }
        index.insert("olga", id: ids[0], scope: north(.all, [.shared, .staff]), shape: atSeven)
        index.insert("petr", id: ids[5], scope: north(.all, [.shared, .staff]), shape: atSeven)
        index.insert("late", id: ids[6], scope: north(.all, [.shared, .staff]), shape: .init(cursor: 6, limit: 2_000))
        index.insert("ivan", id: ids[1], scope: north(.buyer("ivan"), [.shared]), shape: atSeven)
        index.insert("anna", id: ids[2], scope: north(.buyer("anna"), [.shared]), shape: atSeven)
        index.insert("kiosk", id: ids[3], scope: north(.deal("d-1"), [.shared, .staff]), shape: atSeven)
        index.insert("gone", id: ids[4], scope: north(.all, [.shared]), shape: atSeven)
        #expect(index.remove(ids[4])?.waiters.values.first == "gone")
        #expect(index.remove(ids[4]) == nil)
        #expect(index.count == 6)

        var asked: [DealID] = []
        let staff = index.takeWoken(by: [.init(dealership: "north", deal: DealID("d-1")!, document: .staff)]) { _, deal in
            asked.append(deal)
            return .user("ivan")
        }
        // Same scope and cursor: one batch, moved whole; another cursor or scope: a batch of its own.
        #expect(staff.count == 3)
        #expect(Set(staff.map { Set($0.waiters.values) }) == [["olga", "petr"], ["late"], ["kiosk"]])
        #expect(index.count == 2)
        // A woken waiter is no longer there to remove; forgetting it is the caller's later chore.
        #expect(index.remove(ids[0]) == nil)
        index.forget(ids[5])
        // A store that cannot be read wakes every buyer of the dealership rather than miss one.
        let unknown = index.takeWoken(by: [.init(dealership: "north", deal: DealID("d-9")!, document: .shared)]) { _, _ in .unknown }
        #expect(Set(unknown.flatMap { $0.waiters.values }) == ["ivan", "anna"])
        #expect(index.count == 0)
        #expect(index.takeAll().isEmpty)
        #expect(asked == [DealID("d-1")!])
    }
}

/// One long-poll's answer as the test reads it.
struct WatchedAnswer {
    var body: [UInt8]
    var response: SyncResponse
    var elapsed: Duration
}

extension TestDevice {
    var token: String { store.identity.token! }
}

extension SyncHarness {
    var wakeups: Double { server.relay.metrics.longPollWakeups.value }
    var answersBuilt: Double { server.relay.metrics.longPollAnswersBuilt.value }
    var longPollsWaiting: Double { server.relay.metrics.longPollsWaiting.value }

    /// The cursor a first sync with `token` answers: the relay's log position now.
    func cursorNow(token: String) async throws -> LogPosition {
        let answer = try await request("POST", "/v1/sync", token: token, body: #"{"protocol": 1, "cursor": 0, "push": [], "wait": 0}"#)
        try #require(answer.status == 200, "\(answer.text)")
        return try JSONDecoder().decode(SyncResponse.self, from: Data(answer.body)).cursor
    }

    /// A long-poll by hand: `POST /v1/sync` at `cursor` with `wait`, its raw answer and time.
    func watch(token: String, cursor: LogPosition, wait: Int) async throws -> WatchedAnswer {
        let started = ContinuousClock.now
        let answer = try await request("POST", "/v1/sync", token: token,
                                       body: #"{"protocol": 1, "cursor": \#(cursor.rawValue), "push": [], "wait": \#(wait)}"#)
        let elapsed = ContinuousClock.now - started
        try #require(answer.status == 200, "\(answer.text)")
        return WatchedAnswer(body: answer.body, response: try JSONDecoder().decode(SyncResponse.self, from: Data(answer.body)), elapsed: elapsed)
    }

    /// Waits until `count` long-polls are filed on the relay (at most 10 s).
    func waitForLongPolls(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while longPollsWaiting < Double(count) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(longPollsWaiting == Double(count), "\(longPollsWaiting) long-polls wait, not \(count)")
    }
}
