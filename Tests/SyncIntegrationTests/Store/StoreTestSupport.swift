import CRDT
@testable import DealCardKit
@testable import SyncCore
import Foundation

/// A device identity for tests.
func testIdentity(_ user: String, _ role: Role, channel: Channel = .tablet, replica: UInt64) -> DeviceIdentity {
    DeviceIdentity(replica: ReplicaID(replica), user: user, role: role, dealership: "north", device: "\(user)-device", channel: channel)
}

/// Delivers every outbox change of `source` to `target` and acknowledges it.
func deliverOutbox(from source: DeviceStore, to target: DeviceStore) async throws {
    let items = try await source.outbox()
    var grouped: [String: (DealID, DealDocumentKind, [Change])] = [:]
    for item in items where target.schema.canRead(role: target.identity.role, document: item.ref.document) {
        let key = item.ref.deal.rawValue + "/" + item.ref.document.rawValue
        var entry = grouped[key] ?? (item.ref.deal, item.ref.document, [])
        entry.2.append(try Change(encoded: item.blob))
        grouped[key] = entry
    }
    for (deal, kind, changes) in grouped.values { try await target.applyRemote(deal, kind, changes) }
}

/// Sends everything `source` has of each deal document that `target` lacks.
func exchange(_ source: DeviceStore, _ target: DeviceStore) async throws {
    for deal in try await source.dealIDs() {
        for kind in DealDocumentKind.allCases where target.schema.canRead(role: target.identity.role, document: kind) {
            let targetVersion = (try? await target.changes(deal, kind, since: VersionVector()))
                .map { changes in changes.reduce(into: VersionVector()) { $0[$1.replica] = max($0[$1.replica], $1.seq) } } ?? VersionVector()
            let missing = try await source.changes(deal, kind, since: targetVersion)
            if !missing.isEmpty { try await target.applyRemote(deal, kind, missing) }
        }
    }
}
