import DealCardKit
import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let analyticsChecks: [Check] = [
        Check("a deal appended to without an analytics row is stale, listed in (dealership, id) order", appendWithoutRowIsStale),
        Check("a saved analytics row makes its deal current", savedRowIsCurrent),
        Check("an append with its deal's analytics row leaves that deal current", appendWithRowIsCurrent),
        Check("an analytics row without facts removes the deal's row", rowWithoutFactsRemovesIt),
        Check("restarting analytics marks every row stale and records the rules", restartMarksEveryRowStale),
        Check("the analytics reader answers nil while a row in its scope is stale", readerWaitsForStaleRows),
        Check("the analytics reader sums the current rows of its scope at the log's head", readerSumsTheScope),
        Check("the analytics reader lists the most switching deals and the idle open ones", readerListsSwitchingAndIdleDeals),
        Check("the analytics reader throws once closed", closedAnalyticsReaderThrows),
    ]

    static func appendWithoutRowIsStale(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try expectEqual(try Fixture.staleDeals(storage), [], "stale deals of a store without changes")
        _ = try Fixture.append(storage, [Fixture.change("d3", seq: 1), Fixture.change("d2", seq: 1), Fixture.change("d1", seq: 1)])
        try expectEqual(try Fixture.staleDeals(storage), ["north/d1", "north/d2", "south/d3"], "stale deals")
        try expectEqual(try storage.staleAnalyticsDeals(limit: 2).map { "\($0.dealership)/\($0.deal)" }, ["north/d1", "north/d2"],
                        "stale deals, limit 2")
    }

    static func savedRowIsCurrent(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d2", seq: 1)])
        let facts = Fixture.facts(state: "active", path: [.web, .pc])
        try storage.saveAnalyticsRows([Fixture.row("d1", facts)])
        try expectEqual(try Fixture.staleDeals(storage), ["north/d2"], "stale deals after saving d1's row")
        try storage.saveAnalyticsRows([Fixture.row("d2", Fixture.facts())])
        try expectEqual(try Fixture.staleDeals(storage), [], "stale deals after saving d2's row")
        let summary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), "north's analytics")
        try expectEqual(summary.totals, Fixture.totals([facts, Fixture.facts()]), "north's totals")
    }

    static func appendWithRowIsCurrent(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let facts = Fixture.facts()
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d2", seq: 1)], analytics: [Fixture.row("d1", facts)])
        try expectEqual(try Fixture.staleDeals(storage), ["north/d2"], "stale deals")
        let summary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north", deal: Fixture.id("d1")))),
                                 "d1's analytics")
        try expectEqual(summary.totals, Fixture.totals([facts]), "d1's totals")
        // A later append without a row makes it stale again.
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 2)])
        try expectEqual(try Fixture.staleDeals(storage), ["north/d1", "north/d2"], "stale deals after d1's next change")
    }

    static func rowWithoutFactsRemovesIt(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d2", seq: 1)], analytics: [Fixture.row("d1", Fixture.facts())])
        try storage.saveAnalyticsRows([Fixture.row("d1", nil), Fixture.row("d2", nil)])
        try expectEqual(try Fixture.staleDeals(storage), [], "stale deals after removing both rows")
        let summary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), "north's analytics")
        try expectEqual(summary.totals, AnalyticsTotals(), "north's totals without rows")
        try expectEqual(summary.totals["deals"], 0, "north's deal count")
    }

    static func restartMarksEveryRowStale(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        try expectEqual(try storage.analyticsRules(), nil, "the rules of a store whose rows were never computed")
        _ = try Fixture.append(storage, [Fixture.change("d1", seq: 1), Fixture.change("d3", seq: 1)],
                               analytics: [Fixture.row("d1", Fixture.facts()), Fixture.row("d3", Fixture.facts())])
        try storage.restartAnalytics(rules: "rules-2")
        try expectEqual(try storage.analyticsRules(), "rules-2", "the rules after restarting")
        try expectEqual(try Fixture.staleDeals(storage), ["north/d1", "south/d3"], "stale deals after restarting")
        try expectEqual(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), nil, "north's analytics after restarting")
        try storage.saveAnalyticsRows([Fixture.row("d1", Fixture.facts())])
        let summary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), "north's analytics after d1's row")
        try expectEqual(summary.totals, Fixture.totals([Fixture.facts()]), "north's totals after d1's row")
        try storage.restartAnalytics(rules: "rules-3")
        try expectEqual(try storage.analyticsRules(), "rules-3", "the rules after restarting again")
        try expectEqual(try Fixture.staleDeals(storage), ["north/d1", "south/d3"], "stale deals after restarting again")
    }

    static func readerWaitsForStaleRows(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, ["d1", "d2", "d3"].map { Fixture.change($0, seq: 1) },
                               analytics: [Fixture.row("d1", Fixture.facts()), Fixture.row("d3", Fixture.facts())])
        // d2 is stale.
        try expectEqual(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), nil, "north's analytics")
        try expectEqual(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north", deal: Fixture.id("d2")))), nil, "d2's analytics")
        try expect(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north", deal: Fixture.id("d1")))) != nil,
                   "d1's analytics: expected a summary, got nil")
        try expect(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north", buyerUser: "boris"))) != nil,
                   "boris's analytics (d1 only): expected a summary, got nil")
        try expect(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "south"))) != nil, "south's analytics: expected a summary, got nil")
    }

    static func readerSumsTheScope(_ storage: any RelayStorage) throws {
        try Fixture.insertDeals(storage)
        let first = Fixture.facts(state: "active", path: [.web, .kiosk], filled: 2, required: 4, stages: [.vehicle: .done])
        let second = Fixture.facts(state: nil, path: [.pc], filled: 0, required: 0, stages: [.vehicle: .untouched, .credit: .skipped])
        let south = Fixture.facts(state: "won", path: [.phone])
        _ = try Fixture.append(storage, ["d1", "d2", "d3"].map { Fixture.change($0, seq: 1) },
                               analytics: [Fixture.row("d1", first), Fixture.row("d2", second), Fixture.row("d3", south)])
        let north = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), "north's analytics")
        try expectEqual(north.totals, Fixture.totals([first, second]), "north's totals")
        try expectEqual(north.cursor, try storage.latestPosition, "north's cursor")
        let buyer = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north", buyerUser: "boris"))), "boris's analytics")
        try expectEqual(buyer.totals, Fixture.totals([first]), "boris's totals (d1)")
        let deal = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north", deal: Fixture.id("d2")))), "d2's analytics")
        try expectEqual(deal.totals, Fixture.totals([second]), "d2's totals")
        // A row replaced moves the totals: its old facts go out.
        let replaced = Fixture.facts(state: "lost", path: [.web], filled: 4, required: 4)
        try storage.saveAnalyticsRows([Fixture.row("d1", replaced)])
        let after = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"))), "north's analytics after")
        try expectEqual(after.totals, Fixture.totals([replaced, second]), "north's totals after d1's row was replaced")
        let southSummary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "south"))), "south's analytics")
        try expectEqual(southSummary.totals, Fixture.totals([south]), "south's totals")
    }

    static func readerListsSwitchingAndIdleDeals(_ storage: any RelayStorage) throws {
        let day: Int64 = 86_400_000
        let now = Fixture.nowMilliseconds
        let rows: [(String, DealFacts)] = [
            ("d-a", Fixture.facts(state: "active", path: [.pc, .web, .pc], lastChange: now - 10 * day)),
            ("d-b", Fixture.facts(state: "active", path: [.pc, .web, .pc, .kiosk], lastChange: now - 1 * day)),
            ("d-c", Fixture.facts(state: nil, path: [.web, .pc, .web], lastChange: now - 20 * day)),
            ("d-d", Fixture.facts(state: "won", path: [.pc], lastChange: now - 30 * day)),
            ("d-e", Fixture.facts(state: "active", path: [.phone], lastChange: now - 10 * day)),
            ("d-f", Fixture.facts(state: "active", path: [], lastChange: nil)),
        ]
        for (id, _) in rows { try storage.insertDeal(Fixture.deal(id)) }
        _ = try Fixture.append(storage, rows.map { Fixture.change($0.0, seq: 1) }, analytics: rows.map { Fixture.row($0.0, $0.1) })
        let summary = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"), idleBefore: now - 5 * day,
                                                                         idleLimit: 2, switchesLimit: 2)), "north's analytics")
        try expectEqual(summary.mostSwitches, [
            AnalyticsSummary.SwitchingDeal(deal: Fixture.id("d-b"), switches: 3, path: [.pc, .web, .pc, .kiosk]),
            AnalyticsSummary.SwitchingDeal(deal: Fixture.id("d-a"), switches: 2, path: [.pc, .web, .pc]),
        ], "the two most switching deals")
        // Idle: open and last changed before the threshold, the longest idle first, then by id;
        // d-d is closed, d-b recent, d-f never changed by an author.
        try expectEqual(summary.idleCount, 3, "idle deals")
        try expectEqual(summary.idle, [
            AnalyticsSummary.IdleDeal(deal: Fixture.id("d-c"), lastChange: now - 20 * day),
            AnalyticsSummary.IdleDeal(deal: Fixture.id("d-a"), lastChange: now - 10 * day),
        ], "the two longest idle deals")
        let all = try unwrap(try Fixture.read(storage, Fixture.query(AnalyticsScope(dealership: "north"), idleBefore: now - 5 * day)),
                             "north's analytics with longer lists")
        try expectEqual(all.mostSwitches.map(\.deal.rawValue), ["d-b", "d-a", "d-c"], "every switching deal")
        try expectEqual(all.idle.map(\.deal.rawValue), ["d-c", "d-a", "d-e"], "every idle deal")
    }

    static func closedAnalyticsReaderThrows(_ storage: any RelayStorage) throws {
        let reader = try storage.makeAnalyticsReader()
        let query = Fixture.query(AnalyticsScope(dealership: "north"))
        let summary: AnalyticsSummary?
        do {
            summary = try reader.read(query)
        } catch {
            reader.close()
            throw error
        }
        reader.close()
        try expectEqual(summary, AnalyticsSummary(cursor: .start, totals: AnalyticsTotals(), mostSwitches: [], idleCount: 0, idle: []),
                        "the analytics of an empty store")
        try expectError(.storeClosed, "a report read after the reader was closed") { try reader.read(query) }
    }
}
