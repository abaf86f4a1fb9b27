import CRDT
import Foundation
import DealCardKit
import SyncServer

/// Values shared by the relay storage tests.
enum RelayFixtures {
    /// A whole-second date, so it survives the store's millisecond precision unchanged.
    static let now = Date(timeIntervalSince1970: 1_750_000_000)

    static func token(
        id: String = "tok_0000abcd", user: String = "anna", role: Role = .sales, device: String? = "pc-1",
        deal: String? = nil, expiresIn seconds: TimeInterval = 86_400, revoked: Bool = false
    ) -> (SecretToken, TokenRecord) {
        let secret = SecretToken.generate()
        let record = TokenRecord(
            id: id, storedHash: secret.storedHash, user: user, role: role, dealership: "north", device: device,
            deal: deal, createdAt: now, expiresAt: now.addingTimeInterval(seconds), isRevoked: revoked)
        return (secret, record)
    }

    static func deal(_ id: String, dealership: String = "north", buyer: String? = nil) -> DealRecord {
        DealRecord(id: DealID(id)!, dealership: dealership, buyerUser: buyer, createdAt: now, createdBy: "anna")
    }

    static let author = LogAuthor(user: "anna", role: .sales, device: "pc-1", channel: .pc)

    static func change(
        _ deal: String, _ document: DealDocumentKind = .shared, replica: ReplicaID = 7, seq: UInt64, blob: [UInt8]? = nil
    ) -> NewLogEntry {
        // d3 is the south dealership's deal (see storageWithDeals).
        NewLogEntry(
            dealership: deal == "d3" ? "south" : "north", deal: DealID(deal)!, document: document, replica: replica, changeSequence: seq,
            blob: blob ?? [0x43, UInt8(truncatingIfNeeded: seq)], author: author, receivedAt: now)
    }

    /// Opens a storage in `directory` with deals `d1`, `d2` (dealership north) and `d3` (south).
    static func storageWithDeals(in directory: String) throws -> SQLiteRelayStorage {
        let storage = try SQLiteRelayStorage(directory: directory)
        try storage.insertDeal(deal("d1", buyer: "boris"))
        try storage.insertDeal(deal("d2"))
        try storage.insertDeal(deal("d3", dealership: "south"))
        return storage
    }
}
