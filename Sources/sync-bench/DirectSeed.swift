import CRDT
import DealCardKit
import Foundation
import RelayClient
import SyncProtocol
import SyncServer

/// `sync-bench relay --seed-direct`: the deals of the first-sync measurement made in this
/// process and pushed to the relay (a `sync-server` child process) in large `POST /v1/sync`
/// requests, the relay's own push path (decision, one transaction per request, snapshots)
/// without a device store around it.
///
/// The default path makes them on a device store (each edit committed with
/// `synchronous=FULL`, about 0.6 ms) and pushes its outbox 500 changes a round, which takes
/// an hour at 100,000 deals; this one makes the same changes (the same fields, containers,
/// edits, author and order as ``BenchDevice`` does) for a sales user of the same dealership.
struct DirectSeeder {
    let connection: RelayConnection
    let identity: (user: String, device: String)
    let replica = ReplicaID.random()
    /// Changes per request (the relay takes at most 5,000; at about 180 bytes a change before
    /// base64, a request stays far under the relay's 8 MiB body limit).
    static let batch = 2_000

    init(relayURL: String, relayFolder: String, dealership: String) throws {
        identity = ("direct", "bench-direct")
        let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: identity.user, role: "sales", dealership: dealership,
                                                  device: identity.device)).secret.text
        connection = RelayConnection(baseURL: URL(string: relayURL)!, token: token)
    }

    /// Makes the deals `indexes` (``DealFixture/values(_:)`` and `editsPerDeal` price edits
    /// each) and pushes them; returns the changes the relay accepted.
    func seed(prefix: String, indexes: Range<Int>, editsPerDeal: Int) async throws -> Int {
        let editor = CardEditor(schema: .standard, role: .sales)
        var pending: [PushedChange] = []
        var accepted = 0
        for index in indexes {
            let deal = DealFixture.id(index, prefix: prefix)
            let values = DealFixture.values(index).sorted { $0.key < $1.key }
            for kind in [DealDocumentKind.shared, .staff] {
                let document = Document(replica: replica)
                let fields = values.filter { DealDocumentKind.of(path: $0.key) == kind }
                guard let created = try document.change(metadata: author(), { tx in
                    try editor.createContainers(document: kind, in: document, tx)
                    for (path, value) in fields { try editor.set(path, value, in: document, tx) }
                }) else { continue }
                pending.append(PushedChange(deal: deal, document: kind, change: created.encoded()))
                guard kind == .shared else { continue }
                for edit in 0..<editsPerDeal {
                    let (path, value) = DealFixture.edit(index * editsPerDeal + edit)
                    if let change = try document.change(metadata: author(), { tx in try editor.set(path, value, in: document, tx) }) {
                        pending.append(PushedChange(deal: deal, document: kind, change: change.encoded()))
                    }
                }
            }
            if pending.count >= Self.batch {
                accepted += try await push(pending)
                pending = []
            }
        }
        return accepted + (try await push(pending))
    }

    private func author() -> [UInt8] {
        ChangeAuthor(user: identity.user, role: .sales, device: identity.device, channel: .pc,
                     time: Int64(Date().timeIntervalSince1970 * 1_000)).encoded()
    }

    /// Pushes `changes` until every one is answered (a request may leave some for the next
    /// one: its time budget); a refusal is an error.
    private func push(_ changes: [PushedChange]) async throws -> Int {
        var remaining = changes[...]
        var accepted = 0
        while !remaining.isEmpty {
            // Cursor 1 (the warm-up's deals are in the log) and limit 1: an ordinary round whose
            // answer carries one change, not a first sync's snapshots.
            let response: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 1, push: Array(remaining), limit: 1),
                                                                  timeout: 600)
            guard response.refused.isEmpty else { throw BenchError("the relay refused a seeded change: \(response.refused[0])") }
            guard !response.accepted.isEmpty else { throw BenchError("the relay answered none of \(remaining.count) seeded changes") }
            accepted += response.accepted.count
            remaining = remaining.dropFirst(response.accepted.count)
        }
        return accepted
    }
}
