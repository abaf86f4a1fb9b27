import SyncProtocol
import CRDT
import DealCardKit
import Foundation

/// Computes ``AnalyticsReport``s from deal documents: pure, no storage and no clock (the
/// caller passes `now`), so it is the same on a relay and in a test.
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

    /// What the report needs to know of one deal.
    struct DealFacts: Equatable {
        var deal: String
        var stages: [Stage: StageStatus]
        var completeness: Completeness
        var state: String?
        /// Channels of the deal's changes ordered by author time (then change id).
        var channels: [Channel]
        /// The latest author time, milliseconds since 1970.
        var lastChange: Int64?
    }

    /// The facts of one deal from its documents (an empty document stands for one that does
    /// not exist yet). Both cards count, so staff-card stages are in the report.
    /// - Complexity: O(fields + ops of the deal's history).
    func facts(deal: DealID, documents: [DealDocumentKind: Document]) -> DealFacts {
        let reader = CardReader(schema: schema)
        let card = reader.card(id: deal, documents: documents)
        var authored: [(time: Int64, change: ChangeID, channel: Channel)] = []
        for (kind, document) in documents {
            for entry in reader.history(document, kind: kind) {
                guard let author = entry.author else { continue }
                authored.append((author.time, entry.change, author.channel))
            }
        }
        authored.sort { ($0.time, $0.change) < ($1.time, $1.change) }
        var state: String?
        if case .enumCase(let value)? = card.values["status.state"] { state = value }
        return DealFacts(deal: deal.rawValue, stages: Dictionary(card.stages.map { ($0.stage, $0.status) }, uniquingKeysWith: { a, _ in a }),
                         completeness: card.completeness, state: state, channels: authored.map(\.channel),
                         lastChange: authored.map(\.time).max())
    }

    /// The report over `deals`.
    /// - Parameters:
    ///   - now: the time idle days are counted to.
    ///   - cursor: the log position the facts were read at.
    func report(_ deals: [DealFacts], now: Date, idleDays: Int, cursor: LogPosition) -> AnalyticsReport {
        var byState = Dictionary(uniqueKeysWithValues: stateNames.map { ($0, 0) })
        var byStage: [String: [String: Int]] = [:]
        for stage in Stage.allCases where schema.fields.contains(where: { $0.stage == stage }) {
            byStage[stage.rawValue] = Dictionary(uniqueKeysWithValues: StageStatus.allCases.map { ($0.rawValue, 0) })
        }
        let bucketNames = ["0-24", "25-49", "50-74", "75-99", "100"]
        var buckets = Dictionary(uniqueKeysWithValues: bucketNames.map { ($0, 0) })
        var fractionSum = 0.0
        var lastChannel = Dictionary(uniqueKeysWithValues: Channel.allCases.map { ($0.rawValue, 0) })
        var switches: [AnalyticsReport.DealSwitches] = []
        var totalSwitches = 0
        var idle: [(deal: String, last: Int64)] = []
        let nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let idleBefore = nowMilliseconds - Int64(idleDays) * 86_400_000

        for deal in deals {
            byState[deal.state ?? "unset", default: 0] += 1
            for (stage, status) in deal.stages {
                byStage[stage.rawValue, default: [:]][status.rawValue, default: 0] += 1
            }
            let percent = deal.completeness.percent
            buckets[percent >= 100 ? "100" : bucketNames[min(percent / 25, 3)], default: 0] += 1
            fractionSum += deal.completeness.fraction
            if let last = deal.channels.last { lastChannel[last.rawValue, default: 0] += 1 }
            var path: [Channel] = []
            for channel in deal.channels where path.last != channel { path.append(channel) }
            let count = max(path.count - 1, 0)
            totalSwitches += count
            if count > 0 { switches.append(.init(deal: deal.deal, switches: count, path: path.map(\.rawValue))) }
            // A device clock ahead of the relay's must not hide a deal forever: clamp to now.
            if let last = deal.lastChange.map({ min($0, nowMilliseconds) }), last < idleBefore,
               !Self.closedStates.contains(deal.state ?? "") {
                idle.append((deal.deal, last))
            }
        }
        switches.sort { ($0.switches, $1.deal) > ($1.switches, $0.deal) }
        idle.sort { ($0.last, $0.deal) < ($1.last, $1.deal) }
        let average = deals.isEmpty ? 0 : (fractionSum / Double(deals.count) * 1000).rounded() / 10
        let perDeal = deals.isEmpty ? 0 : (Double(totalSwitches) / Double(deals.count) * 100).rounded() / 100
        return AnalyticsReport(
            asOf: RelayTime.iso8601(now), cursor: cursor, deals: deals.count, byState: byState, byStage: byStage,
            completeness: .init(averagePercent: average, buckets: buckets), lastChannel: lastChannel,
            channelSwitches: .init(total: totalSwitches, averagePerDeal: perDeal, top: Array(switches.prefix(Self.topCount))),
            idle: .init(days: idleDays, count: idle.count, deals: idle.prefix(Self.idleListLimit).map { item in
                .init(deal: item.deal, lastChangeAt: RelayTime.iso8601(Date(timeIntervalSince1970: Double(item.last) / 1000)),
                      idleDays: Int((nowMilliseconds - item.last) / 86_400_000))
            }))
    }

    /// The values of the schema's `status.state` enum and `unset`.
    private var stateNames: [String] {
        guard case .enumeration(let values)? = schema.field("status.state")?.type else { return ["unset"] }
        return values + ["unset"]
    }
}
