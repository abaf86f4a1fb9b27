import CRDT
import DealCardKit
import Foundation
import SyncProtocol
import SyncServer

/// The values the checks build their stores from.
///
/// Dates are whole seconds, so they survive the stores' millisecond precision unchanged,
/// except in the checks that are about that precision.
enum Fixture {
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    /// `now` as milliseconds since 1970 (the unit of analytics times).
    static let nowMilliseconds: Int64 = 1_750_000_000_000

    /// The replica most entries are made by.
    static let replica = ReplicaID(7)

    static let author = LogAuthor(user: "anna", role: .sales, device: "pc-1", channel: .pc)

    /// A deal id the checks spell correctly.
    static func id(_ text: String) -> DealID {
        guard let id = DealID(text) else { preconditionFailure("\(text) is not a deal id") }
        return id
    }

    /// A lowercase hex SHA-256-like hash, distinct per `number`.
    static func hash(_ number: Int) -> String {
        let digits = String(number, radix: 16)
        return String(repeating: "a", count: 64 - digits.count) + digits
    }

    static func token(_ id: String, hash: String, user: String = "anna", role: Role = .sales, device: String? = "pc-1",
                      deal: String? = nil, createdAt: Date = now, expiresAt: Date? = nil, revoked: Bool = false,
                      relay: Bool = false) -> TokenRecord {
        TokenRecord(id: id, storedHash: hash, user: user, role: role, dealership: "north", device: device, deal: deal,
                    createdAt: createdAt, expiresAt: expiresAt ?? createdAt.addingTimeInterval(86_400), isRevoked: revoked,
                    isRelay: relay)
    }

    static func deal(_ deal: String, dealership: String = "north", buyer: String? = nil, createdAt: Date = now,
                     createdBy: String = "anna") -> DealRecord {
        DealRecord(id: id(deal), dealership: dealership, buyerUser: buyer, createdAt: createdAt, createdBy: createdBy)
    }

    /// Registers `d1` (north, buyer `boris`), `d2` (north) and `d3` (south).
    static func insertDeals(_ storage: any RelayStorage) throws {
        try storage.insertDeal(deal("d1", buyer: "boris"))
        try storage.insertDeal(deal("d2"))
        try storage.insertDeal(deal("d3", dealership: "south"))
    }

    /// Change `seq` of `replica` in a document; `d3` is the south dealership's deal, every
    /// other one the north's.
    static func change(_ deal: String, _ document: DealDocumentKind = .shared, replica: ReplicaID = replica, seq: UInt64,
                       blob: [UInt8]? = nil, receivedAt: Date = now, dealership: String? = nil) -> NewLogEntry {
        NewLogEntry(dealership: dealership ?? (deal == "d3" ? "south" : "north"), deal: id(deal), document: document, replica: replica,
                    changeSequence: seq, blob: blob ?? [0x43, UInt8(truncatingIfNeeded: seq), UInt8(truncatingIfNeeded: replica.rawValue)],
                    author: author, receivedAt: receivedAt)
    }

    /// The changes `seqs` of `replica` in one document.
    static func changes(_ deal: String, _ seqs: ClosedRange<UInt64>, _ document: DealDocumentKind = .shared, replica: ReplicaID = replica)
        -> [NewLogEntry] {
        seqs.map { change(deal, document, replica: replica, seq: $0) }
    }

    static func quarantined(_ deal: String = "d1", document: DealDocumentKind = .staff, replica: ReplicaID = ReplicaID(3), seq: UInt64 = 1,
                            blob: [UInt8] = [1, 2, 3], reason: String = "buyer may not write the staff card",
                            at date: Date = now) -> QuarantineEntry {
        QuarantineEntry(deal: id(deal), document: document, replica: replica, changeSequence: seq, blob: blob, senderUser: "boris",
                        senderDevice: "kiosk-1", reason: reason, quarantinedAt: date)
    }

    /// A compacted base of one document; its snapshot bytes are opaque to the store.
    static func base(_ deal: String = "d1", _ document: DealDocumentKind = .shared, dealership: String = "north", through: LogPosition,
                     horizon: [ReplicaID: UInt64], snapshot: [UInt8] = [0xBA, 0x5E], compactedAt: Date = now) -> DocumentBase {
        DocumentBase(dealership: dealership, deal: id(deal), document: document, through: through, snapshot: snapshot,
                     horizon: VersionVector(horizon), compactedAt: compactedAt)
    }

    static func snapshot(_ deal: String, _ document: DealDocumentKind = .shared, dealership: String? = nil, blob: [UInt8]? = nil,
                         changeCount: Int = 1) -> StoredSnapshot {
        StoredSnapshot(dealership: dealership ?? (deal == "d3" ? "south" : "north"), deal: id(deal), document: document,
                       blob: blob ?? [0x53, UInt8(truncatingIfNeeded: changeCount)] + Array(deal.utf8), changeCount: changeCount)
    }

    /// A deal's analytics facts: its state, channels and last change (milliseconds since 1970).
    static func facts(state: String? = "active", path: [Channel] = [.pc], lastChange: Int64? = nowMilliseconds, filled: Int = 1,
                      required: Int = 4, stages: [Stage: StageStatus] = [.vehicle: .inProgress, .credit: .untouched]) -> DealFacts {
        DealFacts(stages: stages, completeness: Completeness(filled: filled, required: required), state: state, path: path,
                  lastChange: lastChange)
    }

    static func row(_ deal: String, dealership: String? = nil, _ facts: DealFacts?) -> DealAnalyticsRow {
        DealAnalyticsRow(dealership: dealership ?? (deal == "d3" ? "south" : "north"), deal: id(deal), facts: facts)
    }

    /// The totals `facts` add up to.
    static func totals(_ facts: [DealFacts]) -> AnalyticsTotals {
        var totals = AnalyticsTotals()
        for fact in facts { totals.add(AnalyticsTotals(fact)) }
        return totals
    }

    /// A first-sync page request of every document, from the first deal, as far as `base`.
    static func pageRequest(_ deals: DealSelection, after: String? = nil, documents: Set<DealDocumentKind> = [.shared, .staff],
                            base: LogPosition, limit: Int = 100, maxBytes: Int = .max, closedBefore: Int64? = nil) -> SnapshotPage.Request {
        SnapshotPage.Request(deals: deals, after: after.map(id), documents: documents, base: base, limit: limit, maxBytes: maxBytes,
                             closedBefore: closedBefore)
    }

    /// A report of a whole dealership (or narrower), idle before `idleBefore`.
    static func query(_ scope: AnalyticsScope, idleBefore: Int64 = nowMilliseconds, idleLimit: Int = 10, switchesLimit: Int = 10)
        -> AnalyticsQuery {
        AnalyticsQuery(scope: scope, idleBefore: idleBefore, idleLimit: idleLimit, switchesLimit: switchesLimit)
    }

    /// Appends `entries` (``RelayStorage/appendChanges(_:analytics:)``) and checks that one
    /// record came back for each, so that the checks may index them.
    static func append(_ storage: any RelayStorage, _ entries: [NewLogEntry], analytics: [DealAnalyticsRow] = [],
                       file: StaticString = #fileID, line: UInt = #line) throws -> [LogRecord] {
        let records = try storage.appendChanges(entries, analytics: analytics)
        try expectEqual(records.count, entries.count, "records returned by appendChanges of \(entries.count) entries", file: file, line: line)
        return records
    }

    /// Every change of every deal after `cursor`, positions only.
    static func positions(_ storage: any RelayStorage, after cursor: LogPosition = .start, dealership: String? = nil,
                          deals: Set<String>? = nil, documents: Set<DealDocumentKind> = [.shared, .staff], limit: Int = 1_000,
                          maxBytes: Int = .max) throws -> [LogPosition] {
        try storage.changes(after: cursor, dealership: dealership, dealIDs: deals.map { Set($0.map(id)) }, documents: documents,
                            limit: limit, maxBytes: maxBytes).map(\.position)
    }

    /// One document's changes, positions only.
    static func positions(_ storage: any RelayStorage, of deal: String, _ document: DealDocumentKind = .shared, dealership: String? = nil)
        throws -> [LogPosition] {
        try storage.changes(dealership: dealership ?? (deal == "d3" ? "south" : "north"), deal: id(deal), document: document).map(\.position)
    }

    /// A document as `dealership/deal/document`, for comparing lists of tuples.
    static func name(_ document: (dealership: String, deal: DealID, document: DealDocumentKind)) -> String {
        "\(document.dealership)/\(document.deal)/\(document.document.rawValue)"
    }

    /// The deals that are stale, as `dealership/deal`.
    static func staleDeals(_ storage: any RelayStorage) throws -> [String] {
        try storage.staleAnalyticsDeals(limit: 1_000).map { "\($0.dealership)/\($0.deal)" }
    }

    /// Reads one report through a fresh analytics reader, closed afterwards.
    static func read(_ storage: any RelayStorage, _ query: AnalyticsQuery) throws -> AnalyticsSummary? {
        let reader = try storage.makeAnalyticsReader()
        defer { reader.close() }
        return try reader.read(query)
    }
}
