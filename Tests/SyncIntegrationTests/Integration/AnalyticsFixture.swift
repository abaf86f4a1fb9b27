import CRDT
@testable import DealCardKit
import Foundation
@testable import SQLiteKit
@testable import SyncServer

/// Deals with a fixed history, written as the build before analytics rows wrote its store:
/// the schema before step `create deal_analytics`, deals and log entries, no rows. Every
/// author time is relative to ``now``, so a report made at ``now`` is the same on every run
/// (and was pinned from the build before the rows: ``AnalyticsRowsTests``).
enum AnalyticsFixture {
    /// The report time of the pinned answers: 2025-06-15T15:06:40Z.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    /// Milliseconds since 1970, `hours` before ``now`` (negative: after it).
    static func hoursAgo(_ hours: Int64) -> Int64 { Int64(now.timeIntervalSince1970 * 1000) - hours * 3_600_000 }

    /// Who writes, from which device, as which replica.
    struct Author: Sendable {
        var user: String
        var role: Role
        var device: String
        var channel: Channel
        var replica: ReplicaID
    }

    static let ivanWeb = Author(user: "ivan", role: .buyer, device: "ivan-web", channel: .web, replica: ReplicaID(0x11))
    static let ivanKiosk = Author(user: "ivan", role: .buyer, device: "ivan-kiosk", channel: .kiosk, replica: ReplicaID(0x12))
    static let olgaPC = Author(user: "olga", role: .sales, device: "olga-pc", channel: .pc, replica: ReplicaID(0x21))
    static let olgaPhone = Author(user: "olga", role: .sales, device: "olga-phone", channel: .phone, replica: ReplicaID(0x22))
    static let fedorTablet = Author(user: "fedor", role: .finance, device: "fedor-tablet", channel: .tablet, replica: ReplicaID(0x31))
    static let bossPC = Author(user: "boss", role: .head, device: "boss-pc", channel: .pc, replica: ReplicaID(0x41))
    static let crm = Author(user: "crm", role: .integration, device: "integration", channel: .integration, replica: ReplicaID(0x51))
    static let rivalPC = Author(user: "rival", role: .sales, device: "rival-pc", channel: .pc, replica: ReplicaID(0x61))

    /// One change: what `author` did to one card of a deal, `hoursAgo` hours before ``now``.
    struct Edit: Sendable {
        var deal: String
        var dealership = "north"
        var kind: DealDocumentKind = .shared
        var author: Author
        var hoursAgo: Int64
        var body: @Sendable (CardEditor, Document, Transaction) throws -> Void
    }

    /// The history, in log order. Some changes are logged after later-authored ones (an
    /// offline edit synced late) and one comes from a clock ahead of the relay's.
    static let edits: [Edit] = [
        // alpha: web → kiosk → pc, then the head on the staff card.
        Edit(deal: "d-alpha", author: ivanWeb, hoursAgo: 72) { editor, document, tx in
            try editor.set("vehicle.model", .text("Camry"), in: document, tx)
            try editor.set("vehicle.trim", .text("Prestige"), in: document, tx)
            try editor.set("vehicle.color", .text("white"), in: document, tx)
        },
        Edit(deal: "d-alpha", author: ivanKiosk, hoursAgo: 48) { editor, document, tx in
            try editor.set("credit.downPayment", .money(minorUnits: 30_000_000, currency: "RUB"), in: document, tx)
        },
        Edit(deal: "d-alpha", author: olgaPC, hoursAgo: 24) { editor, document, tx in
            try editor.set("vehicle.price", .money(minorUnits: 233_000_000, currency: "RUB"), in: document, tx)
            try editor.set("status.state", .enumCase("active"), in: document, tx)
        },
        Edit(deal: "d-alpha", kind: .staff, author: bossPC, hoursAgo: 1) { editor, document, tx in
            try editor.set("staff.margin", .money(minorUnits: 12_000_000, currency: "RUB"), in: document, tx)
        },
        // bravo: pc, trade-in skipped, the payment gateway; an offline phone edit logged last.
        Edit(deal: "d-bravo", author: olgaPC, hoursAgo: 200) { editor, document, tx in
            try editor.set("vehicle.model", .text("RAV4"), in: document, tx)
            try editor.skip(.tradeIn, true, document: .shared, in: document, tx)
        },
        Edit(deal: "d-bravo", author: crm, hoursAgo: 2) { editor, document, tx in
            try editor.set("payment.status", .enumCase("captured"), in: document, tx)
        },
        Edit(deal: "d-bravo", author: olgaPhone, hoursAgo: 300) { editor, document, tx in
            try editor.set("vehicle.color", .text("red"), in: document, tx)
        },
        // charlie: untouched for 30 days.
        Edit(deal: "d-charlie", author: olgaPhone, hoursAgo: 720) { editor, document, tx in
            try editor.set("vehicle.model", .text("Vesta"), in: document, tx)
        },
        // delta: complete and won long ago (closed: never idle).
        Edit(deal: "d-delta", author: olgaPC, hoursAgo: 400) { editor, document, tx in
            try editor.set("vehicle.model", .text("Niva"), in: document, tx)
            try editor.set("vehicle.trim", .text("Urban"), in: document, tx)
            try editor.set("vehicle.color", .text("green"), in: document, tx)
            try editor.set("vehicle.price", .money(minorUnits: 150_000_000, currency: "RUB"), in: document, tx)
            for stage: Stage in [.tradeIn, .credit, .insurance, .payment, .delivery, .documents] {
                try editor.skip(stage, true, document: .shared, in: document, tx)
            }
            try editor.set("status.state", .enumCase("won"), in: document, tx)
        },
        // echo: a buyer whose clock runs two days ahead.
        Edit(deal: "d-echo", author: ivanWeb, hoursAgo: -48) { editor, document, tx in
            try editor.set("vehicle.model", .text("Kodiaq"), in: document, tx)
        },
        // foxtrot: staff card by finance and the head, on hold.
        Edit(deal: "d-foxtrot", author: olgaPC, hoursAgo: 500) { editor, document, tx in
            try editor.set("vehicle.model", .text("Octavia"), in: document, tx)
        },
        Edit(deal: "d-foxtrot", kind: .staff, author: fedorTablet, hoursAgo: 260) { editor, document, tx in
            try editor.set("staff.scoring", .integer(640), in: document, tx)
        },
        Edit(deal: "d-foxtrot", author: bossPC, hoursAgo: 250) { editor, document, tx in
            try editor.set("status.state", .enumCase("onHold"), in: document, tx)
        },
        // golf: pc → phone → pc → tablet in ten hours.
        Edit(deal: "d-golf", author: olgaPC, hoursAgo: 10) { editor, document, tx in
            try editor.set("vehicle.model", .text("Tiguan"), in: document, tx)
        },
        Edit(deal: "d-golf", author: olgaPhone, hoursAgo: 9) { editor, document, tx in
            try editor.set("vehicle.trim", .text("Sport"), in: document, tx)
        },
        Edit(deal: "d-golf", author: olgaPC, hoursAgo: 8) { editor, document, tx in
            try editor.set("vehicle.color", .text("blue"), in: document, tx)
        },
        Edit(deal: "d-golf", author: fedorTablet, hoursAgo: 7) { editor, document, tx in
            try editor.set("credit.amount", .money(minorUnits: 100_000_000, currency: "RUB"), in: document, tx)
            try editor.set("credit.termMonths", .integer(36), in: document, tx)
        },
        // Another dealership's deal of the same id as one of north's: never counted for north.
        Edit(deal: "d-alpha", dealership: "south", author: rivalPC, hoursAgo: 5) { editor, document, tx in
            try editor.set("vehicle.model", .text("Granta"), in: document, tx)
        },
    ]

    /// A deal registered without any change (a create whose append failed): not counted.
    static let emptyDeal = "d-hotel"

    /// The log entries of ``edits``, in order.
    static func entries(schema: DealSchema = .standard) throws -> [NewLogEntry] {
        var documents: [[String]: Document] = [:]
        var entries: [NewLogEntry] = []
        for edit in edits {
            let key = [edit.dealership, edit.deal, edit.kind.rawValue]
            let shared = documents[key] ?? Document(replica: edit.author.replica)
            documents[key] = shared
            let local = shared.fork(as: edit.author.replica)
            let editor = CardEditor(schema: schema, role: edit.author.role)
            let author = ChangeAuthor(user: edit.author.user, role: edit.author.role, device: edit.author.device,
                                      channel: edit.author.channel, time: hoursAgo(edit.hoursAgo))
            let isNew = local.history.isEmpty
            guard let change = try local.change(metadata: author.encoded(), { tx in
                if isNew { try editor.createContainers(document: edit.kind, in: local, tx) }
                try edit.body(editor, local, tx)
            }) else { preconditionFailure("a fixture edit changes nothing") }
            precondition(shared.apply([change]).refused.isEmpty, "a fixture change does not apply")
            entries.append(NewLogEntry(
                dealership: edit.dealership, deal: DealID(edit.deal)!, document: edit.kind, replica: change.replica,
                changeSequence: change.seq, blob: change.encoded(),
                author: LogAuthor(user: author.user, role: author.role, device: author.device, channel: author.channel),
                receivedAt: now))
        }
        return entries
    }

    /// The schema version of the build before analytics rows.
    static var previousSchemaVersion: Int {
        SQLiteRelayStorage.migrator.steps.firstIndex { $0.name == rowsStepName } ?? SQLiteRelayStorage.migrator.latestVersion
    }

    static let rowsStepName = "create deal_analytics"

    /// Writes ``edits`` into a relay store of ``previousSchemaVersion`` in `directory`.
    static func writePreviousStore(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try SQLiteDatabase(path: directory + "/" + SQLiteRelayStorage.fileName)
        defer { database.close() }
        try SQLiteRelayStorage.migrator.migrate(database, upTo: previousSchemaVersion)
        let entries = try entries()
        try database.transaction { db in
            var deals: Set<[String]> = []
            for entry in entries where deals.insert([entry.dealership, entry.deal.rawValue]).inserted {
                try db.execute("INSERT INTO deal(id, dealership, buyer_user, created_at, created_by) VALUES (?, ?, ?, 0, ?)",
                               arguments: [.text(entry.deal.rawValue), .text(entry.dealership),
                                           entry.author.role == .buyer ? .text(entry.author.user) : .null, .text(entry.author.user)])
            }
            try db.execute("INSERT INTO deal(id, dealership, buyer_user, created_at, created_by) VALUES (?, 'north', NULL, 0, 'crm')",
                           arguments: [.text(emptyDeal)])
            for entry in entries {
                try db.execute(
                    """
                    INSERT INTO change_log(deal_id, document, replica, change_seq, blob, author_user, author_role, author_device,
                                           author_channel, received_at, dealership)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    arguments: [
                        .text(entry.deal.rawValue), .text(entry.document.rawValue), .integer(Int64(bitPattern: entry.replica.rawValue)),
                        .integer(Int64(entry.changeSequence)), .blob(entry.blob), .text(entry.author.user),
                        .text(entry.author.role.rawValue), .text(entry.author.device), .text(entry.author.channel.rawValue),
                        .integer(Int64(now.timeIntervalSince1970 * 1000)), .text(entry.dealership),
                    ])
            }
        }
    }

    /// Writes ``edits`` as the first build with analytics rows (no totals) left them, with
    /// rows that claim to be current and hold facts no deal has: the next schema step must
    /// have them computed again.
    static func writeFirstRowsStore(in directory: String) throws {
        try writePreviousStore(in: directory)
        let database = try SQLiteDatabase(path: directory + "/" + SQLiteRelayStorage.fileName)
        defer { database.close() }
        try SQLiteRelayStorage.migrator.migrate(database, upTo: previousSchemaVersion + 1)
        try database.execute("UPDATE deal_analytics SET stale = 0, state = 'won', stages = 'ddddddddddd', filled = 1, required = 1")
        try database.execute("INSERT INTO deal_analytics_rules(id, rules) VALUES (1, 'rules of the first build')")
    }

    /// A head-of-sales token record of `dealership` (the report does not look it up).
    static func headToken(dealership: String = "north", deal: String? = nil) -> TokenRecord {
        TokenRecord(id: "tok_fixture", storedHash: "", user: "boss", role: .head, dealership: dealership, deal: deal,
                    createdAt: now, expiresAt: now.addingTimeInterval(86_400))
    }
}

extension Relay {
    /// The analytics answer's bytes at `now`, as `GET /v1/analytics` sends them.
    func analyticsJSON(_ token: TokenRecord, idleDays: Int = DealAnalytics.defaultIdleDays, now: Date) async throws -> String {
        let report = try await analytics(token: token, idleDays: idleDays, now: now).get()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}

extension Relay {
    /// The stored analytics rows of `dealership`, stale ones flagged.
    func storedAnalyticsRows(dealership: String = "north") throws -> [(row: DealAnalyticsRow, isStale: Bool)] {
        guard let sqlite = storage as? SQLiteRelayStorage else { throw RelayError(.internalError, "not a SQLite store") }
        return try sqlite.analyticsRows(dealership: dealership)
    }

    /// The rows by the definition: each deal's facts from its documents as loaded afresh from
    /// the log (``DealAnalytics/facts(deal:documents:)``), deals without changes left out.
    func recomputedAnalyticsRows(dealership: String = "north") throws -> [DealAnalyticsRow] {
        let analytics = DealAnalytics(schema: sync.schema)
        return try storage.dealIDs(dealership: dealership).compactMap { deal in
            var documents: [DealDocumentKind: Document] = [:]
            for kind in DealDocumentKind.allCases {
                let document = Document(replica: ReplicaID(1))
                let report = document.apply(try storage.changes(dealership: dealership, deal: deal, document: kind).map {
                    try Change(encoded: $0.entry.blob)
                })
                guard report.refused.isEmpty, report.pending.isEmpty else { throw RelayError(.internalError, "\(deal) does not load") }
                documents[kind] = document
            }
            return analytics.facts(deal: deal, documents: documents).map { DealAnalyticsRow(dealership: dealership, deal: deal, facts: $0) }
        }
    }

    /// The stored totals of `dealership`.
    func storedAnalyticsTotals(dealership: String = "north") throws -> AnalyticsTotals {
        guard let sqlite = storage as? SQLiteRelayStorage else { throw RelayError(.internalError, "not a SQLite store") }
        return try sqlite.analyticsTotals(dealership: dealership)
    }

    /// The totals by the definition: the sum over ``recomputedAnalyticsRows(dealership:)``.
    func recomputedAnalyticsTotals(dealership: String = "north") throws -> AnalyticsTotals {
        var totals = AnalyticsTotals()
        for row in try recomputedAnalyticsRows(dealership: dealership) { totals.add(AnalyticsTotals(row.facts!)) }
        return totals
    }

    /// The report by the definition, over ``recomputedAnalyticsRows(dealership:)``, as JSON.
    func recomputedAnalyticsJSON(dealership: String = "north", idleDays: Int = DealAnalytics.defaultIdleDays, now: Date) throws -> String {
        let facts = try recomputedAnalyticsRows(dealership: dealership).map { ($0.deal, $0.facts!) }
        let report = DealAnalytics(schema: sync.schema).report(facts, now: now, idleDays: idleDays, cursor: try storage.latestPosition)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }
}
