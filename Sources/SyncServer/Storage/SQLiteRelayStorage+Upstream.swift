import DealCardKit
import SyncProtocol

extension SQLiteRelayStorage {
    public func upstreamPosition(upstream: String) throws -> UpstreamPosition? {
        try database.query(
            "SELECT pushed_through, cursor, snapshots_after, bootstrap_cursor FROM upstream_position WHERE upstream = ?",
            [.text(upstream)]
        ) { row in
            var position = UpstreamPosition(pushedThrough: row.position(at: 0), cursor: row.position(at: 1))
            if let after = row.optionalString(at: 2) {
                guard let deal = DealID(after) else {
                    throw RelayStorageError.unreadableValue(column: row.columnName(at: 2), value: after)
                }
                position.firstSyncPage = SyncRound.FirstSyncPage(after: deal, cursor: row.position(at: 3))
            }
            return position
        }.first
    }

    public func saveUpstreamPosition(_ position: UpstreamPosition, upstream: String) throws {
        try database.execute(
            """
            INSERT INTO upstream_position(upstream, pushed_through, cursor, snapshots_after, bootstrap_cursor)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(upstream) DO UPDATE SET pushed_through = excluded.pushed_through, cursor = excluded.cursor,
                snapshots_after = excluded.snapshots_after, bootstrap_cursor = excluded.bootstrap_cursor
            """,
            arguments: [
                .text(upstream), .position(position.pushedThrough), .position(position.cursor),
                .optionalText(position.firstSyncPage?.after.rawValue),
                position.firstSyncPage.map { .position($0.cursor) } ?? .null,
            ])
    }
}
