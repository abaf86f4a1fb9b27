import SyncProtocol
import CRDT
import DealCardKit
import Foundation

/// Computes deal facts (``DealFacts``) from deal documents and ``AnalyticsReport``s from
/// facts: pure, no storage and no clock (the caller passes `now`), so it is the same on a
/// relay and in a test.
struct DealAnalytics {
    static let defaultIdleDays = 7
    static let maximumIdleDays = 3_650
    /// How many deals ``AnalyticsReport/ChannelSwitchSummary/top`` lists.
    static let topCount = 10
    /// How many deals ``AnalyticsReport/IdleSummary/deals`` lists.
    static let idleListLimit = 100
    /// `status.state` values of a closed deal: never reported idle.
    static let closedStates: Set<String> = ["won", "lost", "cancelled"]

    let schema: DealSchema

    /// The facts of one deal from its documents (an empty document stands for one that does
    /// not exist yet); nil when neither has a change. Both cards count, so staff-card stages
    /// are in the report.
    ///
    /// The definition of the facts, reading each change's history entry; the relay computes
    /// the same from its cached documents with ``facts(deal:entries:)``.
    /// - Complexity: O(fields + ops of the deal's history).
    func facts(deal: DealID, documents: [DealDocumentKind: Document]) -> DealFacts? {
        guard documents.values.contains(where: { $0.hasChanges }) else { return nil }
        let reader = CardReader(schema: schema)
        var authored: [(time: Int64, change: ChangeID, channel: Channel)] = []
        for (kind, document) in documents {
            for entry in reader.history(document, kind: kind) {
                guard let author = entry.author else { continue }
                authored.append((author.time, entry.change, author.channel))
            }
        }
        authored.sort { ($0.time, $0.change) < ($1.time, $1.change) }
        return facts(of: reader.card(id: deal, documents: documents), path: DealFacts.path(of: authored.map(\.channel)),
                     lastChange: authored.map(\.time).max())
    }

    /// The facts of one deal from the relay's cached documents of it (every kind), nil when
    /// none has a change: equal to ``facts(deal:documents:)`` of their documents.
    ///
    /// - Complexity: O(fields + values read) for the card, O(changes of the deal) for the
    ///   channel path (each change's author decoded once per document load, by the entry's
    ///   ``AuthorTimeline``).
    func facts(deal: DealID, entries: [DealDocumentKind: RelayDocumentCache.Entry]) -> DealFacts? {
        guard entries.values.contains(where: { $0.document.hasChanges }) else { return nil }
        let kinds = DealDocumentKind.allCases.filter { entries[$0] != nil }
        for kind in kinds { entries[kind]!.authors.catchUp(with: entries[kind]!.document) }
        let stamps = AuthorTimeline.merged(kinds.map { entries[$0]!.authors })
        // Touches given (empty): the stages' last channels are not wanted, so the card is
        // read without walking the histories.
        let card = CardReader(schema: schema).card(id: deal, documents: entries.mapValues(\.document), touches: StageTouches())
        return facts(of: card, path: DealFacts.path(of: stamps.lazy.map(\.channel)), lastChange: stamps.last?.time)
    }

    private func facts(of card: DealCard, path: [Channel], lastChange: Int64?) -> DealFacts {
        var state: String?
        if case .enumCase(let value)? = card.values["status.state"] { state = value }
        return DealFacts(stages: Dictionary(card.stages.map { ($0.stage, $0.status) }, uniquingKeysWith: { a, _ in a }),
                         completeness: card.completeness, state: state, path: path, lastChange: lastChange)
    }

    /// The first millisecond that is not idle: deals whose latest change is before it are.
    /// (A time later than `now` counts as now, which is never before it.)
    static func idleBefore(now: Date, idleDays: Int) -> Int64 {
        milliseconds(now) - Int64(idleDays) * 86_400_000
    }

    /// `now` in whole milliseconds since 1970, rounded down.
    static func milliseconds(_ now: Date) -> Int64 { Int64((now.timeIntervalSince1970 * 1000).rounded(.down)) }

    /// The summary of `deals`, as the store's reader gives it for stored rows.
    /// - Parameter cursor: the log position the facts were read at.
    func summary(_ deals: [(deal: DealID, facts: DealFacts)], idleBefore: Int64, cursor: LogPosition) -> AnalyticsSummary {
        var totals = AnalyticsTotals()
        var switching: [AnalyticsSummary.SwitchingDeal] = []
        var idle: [AnalyticsSummary.IdleDeal] = []
        for (deal, facts) in deals {
            totals.add(AnalyticsTotals(facts))
            if facts.switches > 0 { switching.append(.init(deal: deal, switches: facts.switches, path: facts.path)) }
            if let last = facts.lastChange, last < idleBefore, !Self.closedStates.contains(facts.state ?? "") {
                idle.append(.init(deal: deal, lastChange: last))
            }
        }
        switching.sort { ($0.switches, $1.deal) > ($1.switches, $0.deal) }
        idle.sort { ($0.lastChange, $0.deal) < ($1.lastChange, $1.deal) }
        return AnalyticsSummary(cursor: cursor, totals: totals, mostSwitches: Array(switching.prefix(Self.topCount)), idleCount: idle.count,
                                idle: Array(idle.prefix(Self.idleListLimit)))
    }

    /// The report over `deals` (the definition, for tests: the relay reads summaries).
    func report(_ deals: [(deal: DealID, facts: DealFacts)], now: Date, idleDays: Int, cursor: LogPosition) -> AnalyticsReport {
        report(summary(deals, idleBefore: Self.idleBefore(now: now, idleDays: idleDays), cursor: cursor), now: now, idleDays: idleDays)
    }

    /// The answer of `GET /v1/analytics` from a summary read for `now` and `idleDays`.
    ///
    /// Every map lists all its keys, zeros included: the schema's states and `unset`, each
    /// status of each stage the schema has fields in, every bucket and channel.
    func report(_ summary: AnalyticsSummary, now: Date, idleDays: Int) -> AnalyticsReport {
        let totals = summary.totals
        let deals = Int(clamping: totals["deals"])
        var byState: [String: Int] = ["unset": Int(clamping: totals["state"])]
        for name in stateNames { byState[name] = Int(clamping: totals["state:" + name]) }
        for (name, count) in totals.counters where name.hasPrefix("state:") && byState[String(name.dropFirst(6))] == nil {
            byState[String(name.dropFirst(6))] = Int(clamping: count)
        }
        var byStage: [String: [String: Int]] = [:]
        for stage in Stage.allCases {
            // Every status of a stage the schema has fields in; of another (none, with the
            // card reader), only the statuses some deal has.
            let listed = schema.fields.contains { $0.stage == stage }
            var statuses: [String: Int] = [:]
            for status in StageStatus.allCases {
                let count = totals["stage:\(stage.rawValue):\(status.rawValue)"]
                if listed || count != 0 { statuses[status.rawValue] = Int(clamping: count) }
            }
            if listed || !statuses.isEmpty { byStage[stage.rawValue] = statuses }
        }
        let buckets = Dictionary(uniqueKeysWithValues: AnalyticsTotals.bucketNames.map { ($0, Int(clamping: totals["completeness:" + $0])) })
        let switches = Int(clamping: totals["switches"])
        let average = deals == 0 ? 0 : (totals.completenessFractionSum / Double(deals) * 1000).rounded() / 10
        let perDeal = deals == 0 ? 0 : (Double(switches) / Double(deals) * 100).rounded() / 100
        let nowMilliseconds = Self.milliseconds(now)
        return AnalyticsReport(
            asOf: RelayTime.iso8601(now), cursor: summary.cursor, deals: deals, byState: byState, byStage: byStage,
            completeness: .init(averagePercent: average, buckets: buckets),
            lastChannel: Dictionary(uniqueKeysWithValues: Channel.allCases.map { ($0.rawValue, Int(clamping: totals["channel:" + $0.rawValue])) }),
            channelSwitches: .init(total: switches, averagePerDeal: perDeal, top: summary.mostSwitches.map {
                .init(deal: $0.deal.rawValue, switches: $0.switches, path: $0.path.map(\.rawValue))
            }),
            idle: .init(days: idleDays, count: summary.idleCount, deals: summary.idle.map { item in
                .init(deal: item.deal.rawValue, lastChangeAt: RelayTime.iso8601(Date(timeIntervalSince1970: Double(item.lastChange) / 1000)),
                      idleDays: Int((nowMilliseconds - item.lastChange) / 86_400_000))
            }))
    }

    /// The values of the schema's `status.state` enum.
    var stateNames: [String] {
        guard case .enumeration(let values)? = schema.field("status.state")?.type else { return [] }
        return values
    }
}
