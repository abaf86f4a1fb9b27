import SyncProtocol
import DealCardKit
import Foundation

/// The ``AnalyticsReport`` being counted, one deal at a time: what ``DealAnalytics`` makes of
/// deal facts, and what the relay makes of its stored rows without building any per-deal
/// value (``add(_:)`` reads a row's numbers, and its id and channel path only when the deal
/// enters a list).
///
/// Deals are counted in deal id order (the rows are read in it, ``DealAnalytics/report``
/// sorts), so the mean completeness is summed in the same order every time.
///
/// - Complexity: O(stages) per deal, plus O(log 100) for a deal that enters the idle list.
struct AnalyticsTally {
    private let schema: DealSchema
    private let idleDays: Int
    private let now: Date
    private let nowMilliseconds: Int64
    private let idleBefore: Int64
    /// The schema's `status.state` values; a row's state code is a position in it.
    let stateNames: [String]
    private let closedCodes: [Bool]

    private var deals = 0
    private var stateCounts: [Int]
    private var unsetStates = 0
    /// States the schema does not list (a defensive path: the card reader keeps only listed values).
    private var otherStates: [String: Int] = [:]
    /// Per stage of `Stage.allCases`, per status of `StageStatus.allCases`.
    private var stageCounts: [[Int]]
    private var buckets = [0, 0, 0, 0, 0]
    private var fractionSum = 0.0
    private var lastChannels = [Int](repeating: 0, count: Channel.allCases.count)
    private var totalSwitches = 0
    /// The most switches, most first, then by id; at most ``DealAnalytics/topCount``.
    private var top: [AnalyticsReport.DealSwitches] = []
    private var idleCount = 0
    /// The longest idle, (last change, deal) ascending; at most ``DealAnalytics/idleListLimit``.
    private var idle: [(last: Int64, deal: String)] = []

    private static let bucketNames = ["0-24", "25-49", "50-74", "75-99", "100"]
    private static let stages = Stage.allCases
    private static let statuses = StageStatus.allCases
    private static let channels = Channel.allCases

    init(schema: DealSchema, now: Date, idleDays: Int) {
        self.schema = schema
        self.now = now
        self.idleDays = idleDays
        nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        idleBefore = nowMilliseconds - Int64(idleDays) * 86_400_000
        if case .enumeration(let values)? = schema.field("status.state")?.type { stateNames = values } else { stateNames = [] }
        closedCodes = stateNames.map(DealAnalytics.closedStates.contains)
        stateCounts = [Int](repeating: 0, count: stateNames.count)
        stageCounts = [[Int]](repeating: [Int](repeating: 0, count: Self.statuses.count), count: Self.stages.count)
    }

    /// Counts one deal from its facts.
    mutating func add(_ deal: DealID, _ facts: DealFacts) {
        deals += 1
        let closed: Bool
        if let state = facts.state, let code = stateNames.firstIndex(of: state) {
            stateCounts[code] += 1
            closed = closedCodes[code]
        } else {
            countUnlisted(state: facts.state)
            closed = DealAnalytics.closedStates.contains(facts.state ?? "")
        }
        for (stage, status) in facts.stages {
            stageCounts[Self.stages.firstIndex(of: stage)!][Self.statuses.firstIndex(of: status)!] += 1
        }
        count(facts.completeness)
        if let last = facts.lastChannel { lastChannels[Self.channels.firstIndex(of: last)!] += 1 }
        count(switches: facts.switches, deal: { deal.rawValue }, path: { facts.path })
        count(lastChange: facts.lastChange, closed: closed, deal: { deal.rawValue })
    }

    /// Counts one deal from its stored row.
    /// - Throws: ``RelayStorageError/unreadableValue(column:value:)`` for a row whose values
    ///   cannot be facts (a damaged store), and what reading the row throws.
    mutating func add(_ row: any StoredAnalyticsRow) throws {
        deals += 1
        let code = row.stateCode
        let closed: Bool
        if code >= 0 && code < stateCounts.count {
            stateCounts[code] += 1
            closed = closedCodes[code]
        } else {
            let state = code == -1 ? nil : row.stateName()
            countUnlisted(state: state)
            closed = DealAnalytics.closedStates.contains(state ?? "")
        }
        try row.withStageLetters { letters in
            guard letters.count <= Self.stages.count else {
                throw RelayStorageError.unreadableValue(column: "stages", value: String(decoding: letters, as: UTF8.self))
            }
            for (stage, letter) in letters.enumerated() where letter != DealAnalyticsRow.absentStageLetter {
                guard let status = DealAnalyticsRow.statusIndex(ofLetter: letter) else {
                    throw RelayStorageError.unreadableValue(column: "stages", value: String(decoding: letters, as: UTF8.self))
                }
                stageCounts[stage][status] += 1
            }
        }
        let filled = row.filled
        let required = row.required
        guard filled >= 0, filled <= required, required <= Int64(Int32.max) else {
            throw RelayStorageError.unreadableValue(column: "filled", value: "\(filled) of \(required)")
        }
        count(Completeness(filled: Int(filled), required: Int(required)))
        if let last = try row.lastChannel() { lastChannels[Self.channels.firstIndex(of: last)!] += 1 }
        let switches = row.switches
        guard switches >= 0, switches <= Int64(Int32.max) else {
            throw RelayStorageError.unreadableValue(column: "switches", value: String(switches))
        }
        try count(switches: Int(switches), deal: { try row.deal().rawValue }, path: { try row.path() })
        try count(lastChange: row.lastChangeAt, closed: closed, deal: { try row.deal().rawValue })
    }

    private mutating func countUnlisted(state: String?) {
        if let state { otherStates[state, default: 0] += 1 } else { unsetStates += 1 }
    }

    private mutating func count(_ completeness: Completeness) {
        let percent = completeness.percent
        buckets[percent >= 100 ? 4 : min(percent / 25, 3)] += 1
        fractionSum += completeness.fraction
    }

    private mutating func count(switches: Int, deal: () throws -> String, path: () throws -> [Channel]) rethrows {
        totalSwitches += switches
        guard switches > 0 else { return }
        if top.count == DealAnalytics.topCount, let last = top.last, switches < last.switches { return }
        let id = try deal()
        if top.count == DealAnalytics.topCount, let last = top.last, (switches, last.deal) <= (last.switches, id) { return }
        top.append(.init(deal: id, switches: switches, path: try path().map(\.rawValue)))
        top.sort { ($0.switches, $1.deal) > ($1.switches, $0.deal) }
        if top.count > DealAnalytics.topCount { top.removeLast() }
    }

    private mutating func count(lastChange: Int64?, closed: Bool, deal: () throws -> String) rethrows {
        // A device clock ahead of the relay's must not hide a deal forever: clamp to now.
        guard let last = lastChange.map({ min($0, nowMilliseconds) }), last < idleBefore, !closed else { return }
        idleCount += 1
        if idle.count == DealAnalytics.idleListLimit, let worst = idle.last, last > worst.last { return }
        let id = try deal()
        if idle.count == DealAnalytics.idleListLimit, let worst = idle.last, (last, id) >= (worst.last, worst.deal) { return }
        var low = 0
        var high = idle.count
        while low < high {
            let middle = (low + high) / 2
            if (idle[middle].last, idle[middle].deal) < (last, id) { low = middle + 1 } else { high = middle }
        }
        idle.insert((last, id), at: low)
        if idle.count > DealAnalytics.idleListLimit { idle.removeLast() }
    }

    /// The report of the deals counted so far.
    /// - Parameter cursor: the log position the facts were read at.
    func report(cursor: LogPosition) -> AnalyticsReport {
        var byState = Dictionary(uniqueKeysWithValues: zip(stateNames, stateCounts))
        byState["unset", default: 0] += unsetStates
        byState.merge(otherStates, uniquingKeysWith: +)
        var byStage: [String: [String: Int]] = [:]
        for (stageIndex, stage) in Self.stages.enumerated() {
            let counts = stageCounts[stageIndex]
            // Every status of a stage the schema has fields in; of another stage (none, with
            // the built-in card reader), only the statuses some deal reported.
            let listed = schema.fields.contains { $0.stage == stage }
            guard listed || counts.contains(where: { $0 > 0 }) else { continue }
            var statuses: [String: Int] = [:]
            for (statusIndex, status) in Self.statuses.enumerated() where listed || counts[statusIndex] > 0 {
                statuses[status.rawValue] = counts[statusIndex]
            }
            byStage[stage.rawValue] = statuses
        }
        let average = deals == 0 ? 0 : (fractionSum / Double(deals) * 1000).rounded() / 10
        let perDeal = deals == 0 ? 0 : (Double(totalSwitches) / Double(deals) * 100).rounded() / 100
        return AnalyticsReport(
            asOf: RelayTime.iso8601(now), cursor: cursor, deals: deals, byState: byState, byStage: byStage,
            completeness: .init(averagePercent: average, buckets: Dictionary(uniqueKeysWithValues: zip(Self.bucketNames, buckets))),
            lastChannel: Dictionary(uniqueKeysWithValues: zip(Self.channels.map(\.rawValue), lastChannels)),
            channelSwitches: .init(total: totalSwitches, averagePerDeal: perDeal, top: top),
            idle: .init(days: idleDays, count: idleCount, deals: idle.map { item in
                .init(deal: item.deal, lastChangeAt: RelayTime.iso8601(Date(timeIntervalSince1970: Double(item.last) / 1000)),
                      idleDays: Int((nowMilliseconds - item.last) / 86_400_000))
            }))
    }
}
