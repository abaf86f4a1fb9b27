import SyncServer

extension RelayStorageConformance {
    static let housekeepingChecks: [Check] = [
        Check("the store's size is readable", storeSizeIsReadable),
    ]

    static func storeSizeIsReadable(_ storage: any RelayStorage) throws {
        let empty = try storage.storeSizeBytes
        try expect(empty >= 0, "storeSizeBytes of an empty store: expected at least 0, got \(empty)")
        try Fixture.insertDeals(storage)
        _ = try Fixture.append(storage, (1...20).map { Fixture.change("d1", seq: UInt64($0), blob: [UInt8](repeating: 1, count: 1_000)) })
        let filled = try storage.storeSizeBytes
        try expect(filled > 0, "storeSizeBytes of a store with 20 kB of changes: expected more than 0, got \(filled)")
    }
}
