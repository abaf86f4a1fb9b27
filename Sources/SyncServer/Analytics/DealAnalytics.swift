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
        guard documents.values.contains(where: { !$0.history.isEmpty }) else { return nil }
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
        guard entries.values.contains(where: { !$0.document.history.isEmpty }) else { return nil }
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

    /// The report over `deals`, counted in deal id order.
    /// - Parameters:
    ///   - now: the time idle days are counted to.
    ///   - cursor: the log position the facts were read at.
    func report(_ deals: [(deal: DealID, facts: DealFacts)], now: Date, idleDays: Int, cursor: LogPosition) -> AnalyticsReport {
        var tally = AnalyticsTally(schema: schema, now: now, idleDays: idleDays)
        for (deal, facts) in deals.sorted(by: { $0.deal < $1.deal }) { tally.add(deal, facts) }
        return tally.report(cursor: cursor)
    }
}
