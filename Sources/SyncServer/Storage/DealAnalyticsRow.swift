import DealCardKit

/// One deal's analytics facts as the relay stores them (table `deal_analytics`), written in
/// the same transaction as the deal's changes (``RelayStorage/commitPush(_:)``,
/// ``RelayStorage/appendChanges(_:analytics:)``).
public struct DealAnalyticsRow: Sendable, Hashable {
    public var dealership: String
    public var deal: DealID
    /// The facts; nil for a deal none of whose changes loads, which has no row (it is not
    /// counted, as a deal without changes is not).
    public var facts: DealFacts?

    public init(dealership: String, deal: DealID, facts: DealFacts?) {
        self.dealership = dealership
        self.deal = deal
        self.facts = facts
    }
}

extension DealAnalyticsRow {
    /// Column `stages` holds one letter per stage of `Stage.allCases`, in that order: the
    /// stage's status, or `-` for a stage the deal's card does not report (one without fields).
    /// The order of `Stage.allCases` is part of ``SQLiteRelayStorage`` analytics rules: rows
    /// written under other rules are computed again (``RelayStorage/restartAnalytics(rules:)``).
    static let absentStageLetter = UInt8(ascii: "-")

    /// The letter of `status` in column `stages`.
    static func letter(of status: StageStatus) -> UInt8 {
        switch status {
        case .untouched: UInt8(ascii: "u")
        case .inProgress: UInt8(ascii: "p")
        case .done: UInt8(ascii: "d")
        case .skipped: UInt8(ascii: "s")
        }
    }

    /// Position in `StageStatus.allCases` of the status a letter stands for, by letter byte.
    private static let statusIndexByLetter: [Int] = {
        var table = [Int](repeating: -1, count: 128)
        for (index, status) in StageStatus.allCases.enumerated() { table[Int(letter(of: status))] = index }
        return table
    }()

    /// The position in `StageStatus.allCases` of the status `letter` stands for; nil for
    /// another byte.
    static func statusIndex(ofLetter letter: UInt8) -> Int? {
        guard letter < 128 else { return nil }
        let index = statusIndexByLetter[Int(letter)]
        return index < 0 ? nil : index
    }

    /// Column `stages` for `stages`.
    static func stageLetters(_ stages: [Stage: StageStatus]) -> String {
        String(decoding: Stage.allCases.map { stages[$0].map(letter(of:)) ?? absentStageLetter }, as: UTF8.self)
    }

    /// The statuses column `stages` holds; nil when it is not such a column.
    static func stages(fromLetters text: String) -> [Stage: StageStatus]? {
        let letters = Array(text.utf8)
        guard letters.count <= Stage.allCases.count else { return nil }
        var stages: [Stage: StageStatus] = [:]
        for (stage, letter) in zip(Stage.allCases, letters) where letter != absentStageLetter {
            guard let index = statusIndex(ofLetter: letter) else { return nil }
            stages[stage] = StageStatus.allCases[index]
        }
        return stages
    }
}

extension DealAnalyticsRow {
    /// A row as a store keeps it, its columns read back (`deal_analytics`, in SQLite and in
    /// PostgreSQL alike); a stale row's facts are what it last held.
    /// - Throws: ``RelayStorageError/unreadableValue(column:value:)`` for columns that do not
    ///   hold facts (stages of unknown letters, more filled than required, a channel path that
    ///   disagrees with its last channel or its switch count).
    static func stored(dealership: String, deal: DealID, isStale: Bool, state: String?, stages stageLetters: String, filled: Int64,
                       required: Int64, lastChannel lastChannelName: String?, switches: Int64, channelPath: String,
                       lastChange: Int64?) throws -> (row: DealAnalyticsRow, isStale: Bool) {
        guard let stages = DealAnalyticsRow.stages(fromLetters: stageLetters) else {
            throw RelayStorageError.unreadableValue(column: "stages", value: stageLetters)
        }
        guard filled >= 0, filled <= required, required <= Int64(Int32.max) else {
            throw RelayStorageError.unreadableValue(column: "filled", value: "\(filled) of \(required)")
        }
        let path = try Self.channelPath(channelPath)
        let lastChannel = try lastChannelName.map { text in
            guard let channel = Channel(rawValue: text) else { throw RelayStorageError.unreadableValue(column: "last_channel", value: text) }
            return channel
        }
        guard lastChannel == path.last, switches == Int64(max(path.count - 1, 0)) else {
            throw RelayStorageError.unreadableValue(column: "channel_path", value: channelPath)
        }
        let facts = DealFacts(stages: stages, completeness: Completeness(filled: Int(filled), required: Int(required)),
                              state: state, path: path, lastChange: lastChange)
        return (DealAnalyticsRow(dealership: dealership, deal: deal, facts: facts), isStale)
    }

    /// Column `channel_path`: channel names separated by single spaces.
    static func channelPath(_ text: String) throws -> [Channel] {
        try text.split(separator: " ").map { name in
            guard let channel = Channel(rawValue: String(name)) else { throw RelayStorageError.unreadableValue(column: "channel_path", value: text) }
            return channel
        }
    }

    /// Column `stages` of `facts`, `channel_path`, and whether the deal is open (`is_open`):
    /// what a store writes of a row besides its plain numbers.
    static func columns(of facts: DealFacts) -> (stages: String, channelPath: String, isOpen: Bool) {
        (stageLetters(facts.stages), facts.path.map(\.rawValue).joined(separator: " "), !DealAnalytics.closedStates.contains(facts.state ?? ""))
    }
}
