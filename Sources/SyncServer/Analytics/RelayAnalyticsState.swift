import DealCardKit
import Synchronization

/// What a relay keeps for `GET /v1/analytics` beside the stored rows, usable from any thread:
/// the rules its rows are computed under, and the reader, opened once the stored rows are
/// known to follow those rules (``Relay/prepareAnalytics()``).
final class RelayAnalyticsState: Sendable {
    /// The version of the row format and of ``DealAnalytics``' facts: bump it when either
    /// changes, and every store computes its rows again at the next start.
    static let factsVersion = 1

    let schema: DealSchema
    /// What the stored rows depend on besides the deals' documents: the facts version, the
    /// stage order and letters of column `stages`, the closed states (column `is_open`), and
    /// the schema (its SHA-256). Rows stored under other rules are computed again
    /// (``RelayStorage/restartAnalytics(rules:)``).
    let rules: String
    private let preparedReader = Mutex<(any DealAnalyticsReader)?>(nil)
    /// Set once the stored rows are known to follow ``rules`` (``checkRules(of:)``).
    private let rulesChecked = Atomic<Bool>(false)

    init(schema: DealSchema) {
        self.schema = schema
        let letters = StageStatus.allCases.map { "\(Character(Unicode.Scalar(DealAnalyticsRow.letter(of: $0))))=\($0.rawValue)" }
        rules = "analytics rows v\(Self.factsVersion); stages \(Stage.allCases.map(\.rawValue).joined(separator: ",")); "
            + "letters \(letters.joined(separator: ",")); closed \(DealAnalytics.closedStates.sorted().joined(separator: ",")); "
            + "schema sha256 \(SHA256.hexHash(schema.canonicalJSON))"
    }

    /// Makes sure the stored rows follow ``rules``: if they were computed under others (or
    /// never), marks them all stale, to be computed again. Done once per relay, before its
    /// first commit when it can (`Relay.init`), else before its first report; either way
    /// correct, only the first spares the rows this relay commits meanwhile.
    func checkRules(of storage: any RelayStorage) throws {
        guard !rulesChecked.load(ordering: .acquiring) else { return }
        if try storage.analyticsRules() != rules { try storage.restartAnalytics(rules: rules) }
        rulesChecked.store(true, ordering: .releasing)
    }

    /// The reader, once prepared.
    var reader: (any DealAnalyticsReader)? { preparedReader.withLock { $0 } }

    /// Keeps the prepared reader (the first one, should two preparations race).
    func keep(_ reader: any DealAnalyticsReader) -> any DealAnalyticsReader {
        let (kept, extra): (any DealAnalyticsReader, (any DealAnalyticsReader)?) = preparedReader.withLock { stored in
            if let stored { return (stored, reader) }
            stored = reader
            return (reader, nil)
        }
        extra?.close()
        return kept
    }

    /// Closes the reader; later reports are `unavailable`.
    func close() {
        preparedReader.withLock { stored in
            stored?.close()
            stored = nil
        }
    }
}
