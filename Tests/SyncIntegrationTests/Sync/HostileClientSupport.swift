import CRDT
@testable import DealCardKit
@testable import RelayClient
@testable import SyncCore
@testable import SyncProtocol
import Foundation
import RelayTestSupport

/// A client that speaks the protocol by hand, as a hostile one would: it makes its own
/// change blobs (any counters, any keys) and pushes them with a real token.
struct HandMadeClient {
    let connection: RelayConnection
    let identity: DeviceIdentity

    init(_ harness: SyncHarness, device: TestDevice) {
        identity = device.store.identity
        connection = RelayConnection(baseURL: URL(string: harness.url)!, token: identity.token!)
    }

    init(url: String, identity: DeviceIdentity) {
        self.identity = identity
        connection = RelayConnection(baseURL: URL(string: url)!, token: identity.token!)
    }

    var metadata: [UInt8] { identity.author(at: 1_700_000_000_000).encoded() }

    /// The relay's copy of one document, from a first sync, as a document that makes changes
    /// as this client's replica (so they carry the right seq, deps and counters).
    func document(_ deal: DealID, _ kind: DealDocumentKind = .shared) async throws -> Document {
        var request = SyncRequest(cursor: 0, push: [])
        var found: [UInt8]?
        while true {
            let answer: SyncResponse = try await connection.post("v1/sync", request)
            if let snapshot = answer.snapshots.first(where: { $0.deal == deal && $0.document == kind }) {
                found = decodeBase64(snapshot.snapshot)
            }
            guard let after = answer.snapshotsAfter else { break }
            request.snapshotsAfter = after
            request.bootstrapCursor = answer.bootstrapCursor
        }
        guard let found else { return Document(replica: identity.replica) }
        return try Document(snapshot: found, replica: identity.replica)
    }

    /// Pushes raw change blobs and returns the answer.
    func push(_ blobs: [[UInt8]], deal: DealID, _ kind: DealDocumentKind = .shared, cursor: LogPosition = 1) async throws -> SyncResponse {
        try await connection.post("v1/sync", SyncRequest(cursor: cursor, push: blobs.map { PushedChange(deal: deal, document: kind, change: $0) }))
    }

    /// Pushes raw change blobs as a device does: again with whatever an answer left out (a
    /// relay's per-request budgets), until every item is answered. Returns every
    /// acknowledgement and refusal, in order.
    func pushAll(_ blobs: [[UInt8]], deal: DealID, _ kind: DealDocumentKind = .shared, cursor: LogPosition = 1) async throws
        -> (accepted: [ChangeRef], refused: [RefusedChange]) {
        var remaining = blobs
        var accepted: [ChangeRef] = []
        var refused: [RefusedChange] = []
        while !remaining.isEmpty {
            let answer = try await push(remaining, deal: deal, kind, cursor: cursor)
            let answered = answer.accepted.count + answer.refused.count
            guard answered > 0 else { throw SyncError.badResponse("a push answered nothing") }
            accepted += answer.accepted
            refused += answer.refused
            remaining.removeFirst(min(answered, remaining.count))
        }
        return (accepted, refused)
    }

    /// Pushes `change` encoded as usual.
    func push(_ change: Change, deal: DealID, _ kind: DealDocumentKind = .shared) async throws -> SyncResponse {
        try await push([change.encoded()], deal: deal, kind)
    }
}

extension Change {
    /// This change with another first op counter (a forged Lamport clock).
    func withStartOp(_ startOp: UInt64) -> Change {
        var copy = self
        copy.startOp = startOp
        return copy
    }
}
