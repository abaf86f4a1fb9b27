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
