import SyncProtocol
import SyncServer

extension RelayStorageConformance {
    static let upstreamChecks: [Check] = [
        Check("an upstream never synced with has no position", noUpstreamPosition),
        Check("a saved upstream position replaces the one kept, first-sync page included", upstreamPositionIsReplaced),
        Check("each upstream URL keeps its own position", upstreamPositionsAreApart),
    ]

    static func noUpstreamPosition(_ storage: any RelayStorage) throws {
        try expectEqual(try storage.upstreamPosition(upstream: "https://head.example"), nil, "the position of an upstream never synced with")
    }

    static func upstreamPositionIsReplaced(_ storage: any RelayStorage) throws {
        let upstream = "https://head.example"
        let paging = UpstreamPosition(pushedThrough: 4, cursor: .start, firstSyncPage: SyncRound.FirstSyncPage(after: Fixture.id("d-7"), cursor: 12))
        try storage.saveUpstreamPosition(paging, upstream: upstream)
        try expectEqual(try storage.upstreamPosition(upstream: upstream), paging, "the position paging through a first sync")
        let synced = UpstreamPosition(pushedThrough: 9, cursor: 30, firstSyncPage: nil)
        try storage.saveUpstreamPosition(synced, upstream: upstream)
        try expectEqual(try storage.upstreamPosition(upstream: upstream), synced, "the position after the first sync")
        try storage.saveUpstreamPosition(.start, upstream: upstream)
        try expectEqual(try storage.upstreamPosition(upstream: upstream), .start, "the position reset to the start")
    }

    static func upstreamPositionsAreApart(_ storage: any RelayStorage) throws {
        let first = UpstreamPosition(pushedThrough: 3, cursor: 7)
        try storage.saveUpstreamPosition(first, upstream: "https://head.example")
        try expectEqual(try storage.upstreamPosition(upstream: "https://other.example"), nil, "another upstream's position")
        let second = UpstreamPosition(pushedThrough: 1, cursor: 2, firstSyncPage: SyncRound.FirstSyncPage(after: Fixture.id("a"), cursor: 2))
        try storage.saveUpstreamPosition(second, upstream: "https://other.example")
        try expectEqual(try storage.upstreamPosition(upstream: "https://head.example"), first, "the first upstream's position")
        try expectEqual(try storage.upstreamPosition(upstream: "https://other.example"), second, "the second upstream's position")
    }
}
