import CRDT
import Foundation
import Testing
@testable import SyncCore
@testable import SyncServer
import CanonicalJSON
@testable import DealCardKit
@testable import SyncProtocol
import RelayTestSupport
import TestSupport

/// The example exchanges in `protocol-spec/vectors/json/`: each file holds the requests a
/// client sends, in order, and the answers a relay gives them. Every vector is played against
/// a real relay on a loopback port, started empty; each answer must equal the file's, but for
/// the members the exchange names in `ignored` (which must be in the answer). The requests
/// themselves must be what the code makes today: the change blobs are written by a
/// `DeviceStore`, so the vectors show real bytes.
///
/// `UPDATE_VECTORS=1 swift test --filter JSONVector` rewrites the files from the scenarios
/// below and the answers of today's relay, after a deliberate change (which also needs the
/// spec's words changed).
@Suite("JSON vectors", .serialized)
struct JSONVectorTests {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocol-spec/vectors/json")

    /// The tokens a vector's requests use, by name.
    struct TokenSpec: Equatable {
        var user: String
        var role: Role
        var device: String

        var json: SchemaJSON {
            .object(["user": .string(user), "role": .string(role.rawValue), "dealership": .string("north"), "device": .string(device)])
        }
    }

    /// One request of a vector.
    struct Request: Equatable {
        var note: String
        var token: String
        var body: SchemaJSON

        var json: SchemaJSON {
            .object(["method": .string("POST"), "path": .string("/v1/sync"), "token": .string(token), "body": body])
        }
    }

    /// A vector as the code makes it: what it shows, its tokens and its requests.
    struct Scenario {
        var name: String
        var what: String
        var tokens: [String: TokenSpec]
        var requests: [Request]
    }

    /// Every member of an answer in these vectors is the same from run to run: deal ids,
    /// replica ids and the changes' clocks are fixed, and a relay's answers carry no time.
    /// A member that varied would be named in its exchange's `ignored`.
    static let ignored: [String] = []

    static let time: Int64 = 1_767_225_600_000

    /// A device store with a fixed replica and clock, so its change blobs are the same bytes
    /// on every run.
    static func store(_ folder: TemporaryDirectory, _ user: String, _ role: Role, device: String, channel: Channel,
                      replica: UInt64) throws -> DeviceStore {
        let identity = DeviceIdentity(replica: ReplicaID(replica), user: user, role: role, dealership: "north", device: device,
                                      channel: channel)
        return try DeviceStore(creatingAt: folder.file("vector-\(user)"), identity: identity, clock: { JSONVectorTests.time })
    }

    static func item(_ outbox: OutboxItem) -> SchemaJSON {
        item(deal: outbox.ref.deal.rawValue, document: outbox.ref.document.rawValue, change: Data(outbox.blob).base64EncodedString())
    }

    static func item(deal: String, document: String = "shared", change: String) -> SchemaJSON {
        .object(["deal": .string(deal), "document": .string(document), "change": .string(change)])
    }

    static func body(cursor: Int64, push: [SchemaJSON] = [], limit: Int? = nil, snapshotsAfter: String? = nil,
                     bootstrapCursor: Int64? = nil, closedDealDays: Int? = nil, fetch: [String]? = nil,
                     snapshotFormats: [Int]? = SyncRequest.readableSnapshotFormats) -> SchemaJSON {
        var members: [String: SchemaJSON] = ["protocol": .integer(1), "cursor": .integer(cursor), "push": .array(push), "wait": .integer(0)]
        if let snapshotFormats { members["snapshotFormats"] = .array(snapshotFormats.map { .integer(Int64($0)) }) }
        if let closedDealDays { members["closedDealDays"] = .integer(Int64(closedDealDays)) }
        if let fetch { members["fetch"] = .array(fetch.map { .string($0) }) }
        if let limit { members["limit"] = .integer(Int64(limit)) }
        if let snapshotsAfter { members["snapshotsAfter"] = .string(snapshotsAfter) }
        if let bootstrapCursor { members["bootstrapCursor"] = .integer(bootstrapCursor) }
        return .object(members)
    }

    static let olga = TokenSpec(user: "olga", role: .sales, device: "olga-pc")
    static let boss = TokenSpec(user: "boss", role: .head, device: "boss-pc")
    static let ivan = TokenSpec(user: "ivan", role: .buyer, device: "ivan-web")

    static func scenarios(_ folder: TemporaryDirectory) async throws -> [Scenario] {
        let sales = try store(folder, "olga", .sales, device: "olga-pc", channel: .pc, replica: 0x2222_2222_2222_2222)
        let buyer = try store(folder, "ivan", .buyer, device: "ivan-web", channel: .web, replica: 0x1111_1111_1111_1111)

        let dealA = DealID("d-a")!
        try await sales.createDeal(id: dealA, values: ["vehicle.model": .text("Camry"),
                                                      "staff.margin": .money(minorUnits: 150_000_00, currency: "RUB")])
        try await sales.createDeal(id: DealID("d-b")!, values: ["vehicle.model": .text("Niva")])
        try await sales.createDeal(id: DealID("d-c")!, values: ["vehicle.model": .text("Vesta")])
        try await sales.set(dealA, "vehicle.trim", .text("Prestige"))
        try await sales.createDeal(id: DealID("d-x")!, values: ["vehicle.model": .text("Lada")])
        let made = try await sales.outbox()
        // Shared and staff of d-a, d-b, d-c, the second shared change of d-a, d-x.
        let (aShared, aStaff, b, c, aTrim, x) = (made[0], made[1], made[2], made[3], made[4], made[5])

        let own = DealID("d-own")!
        try await buyer.createDeal(id: own, values: ["vehicle.model": .text("Camry")])
        try await buyer.set(own, "credit.downPayment", .money(minorUnits: 300_000_00, currency: "RUB"))
        let ivanChanges = try await buyer.outbox()

        // Two deals of Olga's made on 2026-01-01 (the stores' fixed clock): one active, one won.
        try await sales.createDeal(id: DealID("d-open")!, values: ["vehicle.model": .text("Granta"), "status.state": .enumCase("active")])
        try await sales.createDeal(id: DealID("d-won")!, values: ["vehicle.model": .text("Largus"), "status.state": .enumCase("won")])
        let (open, won) = try await { () async throws -> (OutboxItem, OutboxItem) in
            let all = try await sales.outbox()
            return (all[made.count], all[made.count + 1])
        }()

        return [
            Scenario(
                name: "first-sync-paged",
                what: """
                    A first sync in pages. Olga (sales) pushes the first changes of three deals: d-a (its shared \
                    and its staff card), d-b and d-c; a first push is also a first sync (cursor 0), so the answer \
                    holds every document she may read. Then the head of sales, on a new device, syncs from cursor \
                    0 with limit 2: limit counts deals, so the first page holds d-a (two snapshots) and d-b, \
                    answers cursor 0 with snapshotsAfter and bootstrapCursor, and the second page, asked with \
                    those echoed, holds d-c and answers the log position the first page started at. Each \
                    device's first change of a document begins by creating the empty lists and texts of the \
                    document's fields, in schema order.
                    """,
                tokens: ["olga": olga, "boss": boss],
                requests: [
                    Request(note: "olga's first round: pushes four first changes, cursor 0", token: "olga",
                            body: body(cursor: 0, push: [item(aShared), item(aStaff), item(b), item(c)])),
                    Request(note: "boss's first sync, first page", token: "boss", body: body(cursor: 0, limit: 2)),
                    Request(note: "boss's first sync, next page: snapshotsAfter and bootstrapCursor echoed", token: "boss",
                            body: body(cursor: 0, limit: 2, snapshotsAfter: "d-b", bootstrapCursor: 4)),
                ]),
            Scenario(
                name: "push-with-malformed-item",
                what: """
                    One push with items the relay cannot read among good ones. Items 0 and 5 are Olga's first \
                    two changes of deal d-a and are accepted. Item 1 names a deal id with a space and a '!', \
                    item 2 uses the '-' and '_' alphabet, item 3 has no '=' padding, item 4 is base64 of \
                    'hello' (not a DSYN blob), item 6 names document 'shard': each is refused alone as \
                    'malformed' with its index and a placeholder ref (replica 0000000000000001, seq 0; the \
                    item's deal and document when they are valid, else '-' and 'shared'). Nothing of them is \
                    stored. The push is at cursor 0, so the answer also holds d-a's snapshot.
                    """,
                tokens: ["olga": olga],
                requests: [
                    Request(note: "seven items, two of them readable", token: "olga", body: body(cursor: 0, push: [
                        item(aShared),
                        item(deal: "d x!", change: Data(x.blob).base64EncodedString()),
                        item(deal: "d-a", change: "RFNZTgEB-_8="),
                        item(deal: "d-a", change: "aGVsbG8"),
                        item(deal: "d-a", change: "aGVsbG8="),
                        item(aTrim),
                        item(deal: "d-a", document: "shard", change: Data(x.blob).base64EncodedString()),
                    ])),
                ]),
            Scenario(
                name: "push-own-changes-come-back",
                what: """
                    A device's own pushed changes come back in the same answer. Ivan (buyer) creates deal d-own \
                    and pushes its first change at cursor 0: the answer's snapshot holds it. His second change, \
                    pushed at cursor 1, comes back in 'changes' with its log position, the same base64 he sent. \
                    Pushed again (a retry after a lost answer), it is accepted again and nothing else happens.
                    """,
                tokens: ["ivan": ivan],
                requests: [
                    Request(note: "first round: the deal's first change, cursor 0", token: "ivan",
                            body: body(cursor: 0, push: [item(ivanChanges[0])])),
                    Request(note: "the next edit, cursor 1", token: "ivan", body: body(cursor: 1, push: [item(ivanChanges[1])])),
                    Request(note: "the same push again, cursor 2", token: "ivan", body: body(cursor: 2, push: [item(ivanChanges[1])])),
                ]),
            Scenario(
                name: "snapshot-formats",
                what: """
                    A device from before snapshot format 2 sends no snapshotFormats: its first sync gets \
                    version 1 snapshots (RFNZTgIB…), which it can read. Today's devices name the versions they \
                    read, [1, 2], and get version 2 (RFNZTgIC…). Ivan's deal d-own, one change.
                    """,
                tokens: ["ivan": ivan],
                requests: [
                    Request(note: "first round, a device of today: version 2", token: "ivan",
                            body: body(cursor: 0, push: [item(ivanChanges[0])])),
                    Request(note: "a first sync from a device from before version 2: version 1", token: "ivan",
                            body: body(cursor: 0, snapshotFormats: nil)),
                ]),
            Scenario(
                name: "open-deals-first",
                what: """
                    Open deals first. Olga pushes the first changes of d-open (status.state active) and d-won \
                    (status.state won), both made on 2026-01-01, at cursor 0: her push is also a first sync, and \
                    its answer leaves out d-won, a closed deal last changed more than 30 days before (the default \
                    window, closedDealDays 30; archivedDeals 1). The head of sales' first sync gets d-open alone \
                    the same way. His next request, at cursor 2, fetches d-won and d-none: d-won comes whole in \
                    snapshots, and d-none, which is no deal of his, is listed in unknownDeals. (The vector holds \
                    while the relay's clock is more than 30 days past 2026-01-01.)
                    """,
                tokens: ["olga": olga, "boss": boss],
                requests: [
                    Request(note: "olga's first round: two deals, one of them won long ago", token: "olga",
                            body: body(cursor: 0, push: [item(open), item(won)])),
                    Request(note: "boss's first sync: the open deal only", token: "boss", body: body(cursor: 0)),
                    Request(note: "boss fetches the won deal, and an id that is no deal", token: "boss",
                            body: body(cursor: 2, fetch: ["d-won", "d-none"])),
                ]),
            Scenario(
                name: "cursor-ahead",
                what: """
                    A cursor past the relay's log: the relay's data was replaced (restored from a backup). The \
                    request is answered 409 cursor_ahead (the message starts with the same words, as relays \
                    before the code said it) and nothing of its push is decided or stored: the log still ends \
                    at 1 afterwards. The device forgets its cursor and syncs again from 0.
                    """,
                tokens: ["olga": olga],
                requests: [
                    Request(note: "olga's first round, cursor 0", token: "olga", body: body(cursor: 0, push: [item(aShared)])),
                    Request(note: "a cursor the relay never answered, with a push", token: "olga",
                            body: body(cursor: 99, push: [item(aTrim)])),
                    Request(note: "the log is unchanged", token: "olga", body: body(cursor: 1)),
                ]),
        ]
    }

    @Test func everyVectorIsWhatTheRelayAnswers() async throws {
        let update = ProcessInfo.processInfo.environment["UPDATE_VECTORS"] == "1"
        let generated = try TemporaryDirectory()
        let scenarios = try await Self.scenarios(generated)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { $0.hasSuffix(".json") }
        #expect(update || Set(files) == Set(scenarios.map { $0.name + ".json" }), "a vector file without a scenario, or the reverse: \(files)")
        for scenario in scenarios {
            let file = Self.folder.appendingPathComponent(scenario.name + ".json")
            if update {
                try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
                let answers = try await Self.play(scenario.tokens, scenario.requests.map(\.body), tokenNames: scenario.requests.map(\.token))
                let exchanges = zip(scenario.requests, answers).map { request, answer in
                    SchemaJSON.object(["note": .string(request.note), "request": request.json, "answer": .object([
                        "status": .integer(Int64(answer.status)), "ignored": .array(Self.ignored.map(SchemaJSON.string)), "body": answer.body,
                    ])])
                }
                let vector = SchemaJSON.object([
                    "what": .string(scenario.what),
                    "tokens": .object(scenario.tokens.mapValues(\.json)),
                    "exchanges": .array(exchanges),
                ])
                try (Self.pretty(vector) + "\n").write(to: file, atomically: true, encoding: .utf8)
            }
            let vector = try SchemaJSON(parsing: Array(try Data(contentsOf: file)))
            try await check(vector, against: scenario)
        }
    }

    /// Checks one vector file: its requests are the scenario's, and a fresh relay answers
    /// them as the file says.
    private func check(_ vector: SchemaJSON, against scenario: Scenario) async throws {
        let name = scenario.name
        #expect(vector.member("what")?.stringValue?.isEmpty == false, "\(name): no 'what'")
        #expect(vector.member("tokens") == .object(scenario.tokens.mapValues(\.json)), "\(name): tokens")
        guard case .array(let exchanges)? = vector.member("exchanges") else { Issue.record("\(name): no exchanges"); return }
        #expect(exchanges.count == scenario.requests.count, "\(name): exchanges")
        for (index, (exchange, request)) in zip(exchanges, scenario.requests).enumerated() {
            #expect(exchange.member("request") == request.json,
                    "\(name) exchange \(index): the code no longer makes this request (UPDATE_VECTORS=1 rewrites it)")
        }
        let bodies = exchanges.compactMap { $0.member("request")?.member("body") }
        let tokenNames = exchanges.compactMap { $0.member("request")?.member("token")?.stringValue }
        let answers = try await Self.play(scenario.tokens, bodies, tokenNames: tokenNames)
        for (index, (exchange, answer)) in zip(exchanges, answers).enumerated() {
            let expected = try #require(exchange.member("answer"), "\(name) exchange \(index): no answer")
            guard case .array(let ignoredList)? = expected.member("ignored") else {
                Issue.record("\(name) exchange \(index): no 'ignored' list (an empty one says nothing varies)")
                continue
            }
            let ignored = ignoredList.compactMap(\.stringValue)
            #expect(expected.member("status")?.int64Value == Int64(answer.status), "\(name) exchange \(index): status \(answer.status)")
            for path in ignored {
                #expect(answer.body.at(path) != nil, "\(name) exchange \(index): ignored member \(path) is not in the answer")
            }
            let want = (expected.member("body") ?? .null).removing(ignored)
            let got = answer.body.removing(ignored)
            if want != got {
                Issue.record("\(name) exchange \(index): the relay now answers\n\(got.canonicalText)\nnot\n\(want.canonicalText)")
            }
        }
    }

    /// Plays requests on a new, empty relay, each with its named token, and returns the answers.
    static func play(_ tokens: [String: TokenSpec], _ bodies: [SchemaJSON], tokenNames: [String]) async throws
        -> [(status: Int, body: SchemaJSON)] {
        let harness = try SyncHarness()
        var secrets: [String: String] = [:]
        for (name, spec) in tokens.sorted(by: { $0.key < $1.key }) {
            secrets[name] = try harness.token(spec.user, spec.role, device: spec.device)
        }
        var answers: [(status: Int, body: SchemaJSON)] = []
        for (body, name) in zip(bodies, tokenNames) {
            let secret = try #require(secrets[name], "no token \(name)")
            let answer = try await harness.request("POST", "/v1/sync", token: secret, body: body.canonicalText)
            answers.append((answer.status, try SchemaJSON(parsing: answer.body)))
        }
        await harness.stop()
        return answers
    }

    /// The first change a device makes of a document creates the empty list and text of each
    /// of the document's fields, in schema order, before its own edits (sync.md, "A device's
    /// first edit of a document"); the vectors show it.
    @Test func aDocumentsFirstChangeCreatesItsContainersInSchemaOrder() async throws {
        let folder = try TemporaryDirectory()
        let scenarios = try await Self.scenarios(folder)
        let firstPush = try #require(scenarios.first { $0.name == "first-sync-paged" }?.requests.first?.body.member("push"))
        guard case .array(let items) = firstPush else { Issue.record("no push"); return }
        for item in items {
            let document = try #require(DealDocumentKind(rawValue: item.member("document")?.stringValue ?? ""))
            let blob = try #require(decodeBase64(item.member("change")?.stringValue ?? ""))
            let change = try Change(encoded: blob)
            let containers = DealSchema.standard.fields(in: document).compactMap { spec in
                CardCodec.containerKind(spec.type).map { (spec.path, $0) }
            }
            #expect(change.ops.count > containers.count)
            for (op, (path, kind)) in zip(change.ops, containers) {
                #expect(op == Op(object: .root, action: .set(.map(path), .object(kind), pred: [])), "\(op)")
            }
        }
    }

    /// Indented JSON for the files: known members in reading order, the rest sorted.
    static func pretty(_ value: SchemaJSON, indent: String = "") -> String {
        let order = ["what", "tokens", "exchanges", "note", "request", "answer", "method", "path", "token", "status", "ignored", "body"]
        let inner = indent + "  "
        switch value {
        case .array(let elements) where !elements.isEmpty:
            return "[\n" + elements.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members) where !members.isEmpty:
            let keys = members.keys.sorted { left, right in
                switch (order.firstIndex(of: left), order.firstIndex(of: right)) {
                case let (l?, r?): l < r
                case (.some, nil): true
                case (nil, .some): false
                case (nil, nil): left.utf8.lexicographicallyPrecedes(right.utf8)
                }
            }
            let lines = keys.map { inner + SchemaJSON.string($0).canonicalText + ": " + pretty(members[$0]!, indent: inner) }
            return "{\n" + lines.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            return value.canonicalText
        }
    }
}

extension SchemaJSON {
    /// The member `key` of an object.
    func member(_ key: String) -> SchemaJSON? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }

    /// The value at a dotted path (`snapshots.0.snapshot`: numbers index arrays).
    func at(_ path: String) -> SchemaJSON? {
        var current: SchemaJSON? = self
        for step in path.split(separator: ".").map(String.init) {
            switch current {
            case .object(let members)?: current = members[step]
            case .array(let elements)?: current = Int(step).flatMap { elements.indices.contains($0) ? elements[$0] : nil }
            default: return nil
            }
        }
        return current
    }

    /// This value without the members at `paths` (dotted, as ``at(_:)``).
    func removing(_ paths: [String]) -> SchemaJSON {
        paths.reduce(self) { $0.removing(path: $1.split(separator: ".").map(String.init)[...]) }
    }

    private func removing(path: ArraySlice<String>) -> SchemaJSON {
        guard let step = path.first else { return self }
        let rest = path.dropFirst()
        switch self {
        case .object(var members):
            if rest.isEmpty { members[step] = nil } else if let child = members[step] { members[step] = child.removing(path: rest) }
            return .object(members)
        case .array(var elements):
            guard let index = Int(step), elements.indices.contains(index) else { return self }
            if rest.isEmpty { elements.remove(at: index) } else { elements[index] = elements[index].removing(path: rest) }
            return .array(elements)
        default:
            return self
        }
    }
}
