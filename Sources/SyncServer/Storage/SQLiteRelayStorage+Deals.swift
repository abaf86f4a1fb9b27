import DealCardKit
import Foundation
import SQLiteKit

extension SQLiteRelayStorage {
    public func insertDeal(_ deal: DealRecord) throws {
        try database.transaction { db in try Self.insertDeal(deal, in: db) }
    }

    /// ``insertDeal(_:)`` inside the caller's transaction.
    static func insertDeal(_ deal: DealRecord, in db: SQLiteDatabase) throws {
        try db.execute(
            """
            INSERT INTO deal(id, dealership, buyer_user, created_at, created_by) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(dealership, id) DO NOTHING
            """,
            arguments: [
                .deal(deal.id), .text(deal.dealership), .optionalText(deal.buyerUser),
                .milliseconds(deal.createdAt), .text(deal.createdBy),
            ])
        guard db.changes == 0 else { return }
        // Compare as stored (times to the millisecond), so a retry with the same values passes.
        let existing = try Self.deal(dealership: deal.dealership, id: deal.id, in: db)
        var asStored = deal
        asStored.createdAt = deal.createdAt.roundedToStoredPrecision
        guard existing == asStored else {
            throw RelayStorageError.conflictingDeal(id: deal.id)
        }
    }

    public func deal(dealership: String, id: DealID) throws -> DealRecord? {
        try Self.deal(dealership: dealership, id: id, in: database)
    }

    static func deal(dealership: String, id: DealID, in db: SQLiteDatabase) throws -> DealRecord? {
        try db.query(
            "SELECT id, dealership, buyer_user, created_at, created_by FROM deal WHERE dealership = ? AND id = ?",
            [.text(dealership), .deal(id)]
        ) { row in
            DealRecord(
                id: try row.dealID(at: 0), dealership: row.string(at: 1), buyerUser: row.optionalString(at: 2),
                createdAt: row.date(at: 3), createdBy: row.string(at: 4))
        }.first
    }

    public func dealIDs(dealership: String) throws -> [DealID] {
        try database.query("SELECT id FROM deal WHERE dealership = ? ORDER BY id", [.text(dealership)]) {
            try $0.dealID(at: 0)
        }
    }

    public func dealIDs(dealership: String, buyerUser: String) throws -> [DealID] {
        try database.query("SELECT id FROM deal WHERE buyer_user = ? AND dealership = ? ORDER BY id",
                           [.text(buyerUser), .text(dealership)]) { try $0.dealID(at: 0) }
    }
}
