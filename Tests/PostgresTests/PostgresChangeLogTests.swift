#if PostgreSQL
import CRDT
import DealCardKit
import Foundation
import PostgresKit
@testable import SyncServer
import SyncProtocol
import Synchronization
import Testing

/// A value several threads update under a lock.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

/// One node's storage, handed to the thread that stands for that node (a storage has one
/// owner at a time; each thread here is the only user of its node).
final class Node: @unchecked Sendable {
    let storage: PostgresRelayStorage
    init(_ storage: PostgresRelayStorage) { self.storage = storage }

    @discardableResult
    func append(_ entries: [NewLogEntry]) throws -> [LogRecord] { try storage.appendChanges(entries) }
    func changes(after cursor: LogPosition, limit: Int) throws -> [LogRecord] {
        try storage.changes(after: cursor, dealership: nil, dealIDs: nil, documents: Set(DealDocumentKind.allCases), limit: limit)
    }
    var latestPosition: LogPosition { get throws { try storage.latestPosition } }
}

/// The relay's change log in PostgreSQL, with two storages standing for two relay nodes
/// over one database: the database refuses what would make two nodes disagree, and a
/// reader's cursor never passes an entry that commits later.
@Suite("PostgreSQL change log", .postgresCluster, .serialized)
struct PostgresChangeLogTests {
    private static func entry(_ replica: UInt64, _ seq: UInt64, deal: String = "d-1", blob: [UInt8]? = nil) -> NewLogEntry {
        NewLogEntry(dealership: "north", deal: DealID(deal)!, document: .shared, replica: ReplicaID(replica), changeSequence: seq,
                    blob: blob ?? [UInt8(truncatingIfNeeded: replica), UInt8(truncatingIfNeeded: seq), 0xC3, 0x00, 0xFF],
                    author: LogAuthor(user: "olga", role: .sales, device: "olga-pc", channel: .pc),
                    receivedAt: Date(storedMilliseconds: 1_796_000_000_123))
    }

    /// Two nodes' logs on one fresh database.
    private static func twoNodes() async throws -> (Node, Node, String) {
        let database = try await PostgresCluster.running().freshDatabase()
        let node1 = Node(try PostgresRelayStorage(database))
        for deal in ["d-1", "d-2"] {
            try node1.storage.insertDeal(DealRecord(id: DealID(deal)!, dealership: "north", buyerUser: nil,
                                                    createdAt: Date(timeIntervalSince1970: 1_796_000_000), createdBy: "olga"))
        }
        return (node1, Node(try PostgresRelayStorage(database)), database)
    }

    @Test func entriesRoundTripAndRetriesAreTheSameRecord() async throws {
        let (node1, node2, _) = try await Self.twoNodes()
        let appended = try node1.append([Self.entry(7, 1), Self.entry(7, 2), Self.entry(9, 1, deal: "d-2")])
        #expect(appended.map(\.position) == [1, 2, 3])
        let read = try node2.changes(after: .start, limit: 10)
        #expect(read == appended)
        #expect(try node2.latestPosition == 3)
        // The same change again, from the other node: the stored record, nothing new.
        #expect(try node2.append([Self.entry(7, 2)]) == [appended[1]])
        #expect(try node1.latestPosition == 3)
        #expect(try node1.changes(after: 2, limit: 10) == [appended[2]])
        #expect(try node1.changes(after: 0, limit: 1) == [appended[0]])
    }

    @Test func theDatabaseRefusesWhatWouldMakeTwoNodesDisagree() async throws {
        let (node1, node2, _) = try await Self.twoNodes()
        try node1.append([Self.entry(7, 1)])
        // Other content under the same change id, whichever node it reaches.
        #expect(throws: RelayStorageError.conflictingChange(deal: DealID("d-1")!, replica: ReplicaID(7), changeSequence: 1)) {
            try node2.append([Self.entry(7, 1, blob: [1, 2, 3])])
        }
        // A seq that is not the author's next.
        #expect(throws: RelayStorageError.notNextChange(deal: DealID("d-1")!, replica: ReplicaID(7), changeSequence: 3, expected: 2)) {
            try node2.append([Self.entry(7, 3)])
        }
        // A refused append stores nothing of its batch.
        #expect(throws: RelayStorageError.self) { try node2.append([Self.entry(8, 1), Self.entry(8, 3)]) }
        #expect(try node1.latestPosition == 1)
        #expect(try node2.append([Self.entry(7, 2), Self.entry(8, 1)]).map(\.position) == [2, 3])
    }

    /// Two nodes race to store different content under one change id, many times: exactly
    /// one wins each time, and the loser is told, never both stored.
    @Test func aRaceForOneChangeIDHasOneWinner() async throws {
        let (node1, node2, _) = try await Self.twoNodes()
        for seq in UInt64(1)...20 {
            let outcomes = Shared<[Bool]>([])
            let done = DispatchGroup()
            for (node, marker) in [(node1, UInt8(1)), (node2, UInt8(2))] {
                done.enter()
                Thread.detachNewThread {
                    let won = (try? node.append([Self.entry(7, seq, blob: [marker, UInt8(seq)])])) != nil
                    outcomes.withLock { $0.append(won) }
                    done.leave()
                }
            }
            done.wait()
            #expect(outcomes.withLock { $0.filter { $0 }.count } == 1, "seq \(seq): \(outcomes.withLock { $0 })")
        }
        #expect(try node1.latestPosition == 20)
    }

    /// The classic hole: two nodes commit concurrently while a reader pages through with its
    /// cursor. Every entry any node committed is read exactly once, in position order, and
    /// no read ever returns a position at or below a cursor the reader already held.
    @Test func aCursorNeverPassesAnEntryThatCommitsLater() async throws {
        let (node1, node2, database) = try await Self.twoNodes()
        let reader = Node(try PostgresRelayStorage(database))
        let batches = 60
        let writing = Shared(2)
        let failures = Shared<[String]>([])
        let done = DispatchGroup()
        for (index, node) in [node1, node2].enumerated() {
            done.enter()
            Thread.detachNewThread {
                // Node 1 writes replicas 100…, node 2 replicas 200…; batches of 1 to 4 entries.
                var next: [UInt64: UInt64] = [:]
                for batch in 0..<batches {
                    let replica = UInt64(100 * (index + 1) + batch % 5)
                    let size = 1 + batch % 4
                    let entries = (0..<size).map { _ -> NewLogEntry in
                        let seq = next[replica, default: 0] + 1
                        next[replica] = seq
                        return Self.entry(replica, seq)
                    }
                    do { try node.append(entries) } catch { failures.withLock { $0.append("node \(index + 1): \(error)") } }
                }
                writing.withLock { $0 -= 1 }
                done.leave()
            }
        }
        var cursor = LogPosition.start
        var seen: [LogPosition] = []
        var finished = false
        while !finished {
            finished = writing.withLock { $0 == 0 }
            let page = try reader.changes(after: cursor, limit: 7)
            for record in page {
                #expect(record.position > cursor, "position \(record.position) came after cursor \(cursor)")
                cursor = record.position
                seen.append(record.position)
            }
            if page.count == 7 { finished = false }
        }
        done.wait()
        // Anything committed after the loop's last look.
        for record in try reader.changes(after: cursor, limit: 10_000) { seen.append(record.position) }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0 })")
        let all = try reader.changes(after: .start, limit: 10_000).map(\.position)
        let expected = 2 * (0..<batches).reduce(0) { $0 + 1 + $1 % 4 }
        #expect(all.count == expected)
        #expect(all.map(\.rawValue) == Array(1...Int64(expected)))
        #expect(seen == all, "the reader missed or repeated entries")
    }

    @Test func nodesStartingTogetherMigrateOnceAndANewerSchemaIsRefused() async throws {
        let database = try await PostgresCluster.running().freshDatabase()
        let opened = Shared(0)
        let done = DispatchGroup()
        for _ in 0..<3 {
            done.enter()
            Thread.detachNewThread {
                if let storage = try? PostgresRelayStorage(database) {
                    storage.close()
                    opened.withLock { $0 += 1 }
                }
                done.leave()
            }
        }
        done.wait()
        #expect(opened.withLock { $0 } == 3)
        let admin = try PostgresConnection(database)
        #expect(try admin.execute("SELECT count(*) FROM schema_migration")[0].int64(0) == Int64(PostgresSchema.steps.count))
        try admin.execute("INSERT INTO schema_migration(version, name) VALUES (999, 'from the future')")
        let refusal = #expect(throws: PostgresError.self) { try PostgresRelayStorage(database) }
        #expect(refusal?.message.contains("newer than this build") == true, "\(String(describing: refusal))")
    }

    @Test func aCommitNotifiesTheOtherNodes() async throws {
        let (node1, _, database) = try await Self.twoNodes()
        let listener = try PostgresConnection(database)
        try listener.listen(PostgresRelayStorage.channel)
        try node1.append([Self.entry(7, 1), Self.entry(7, 2)])
        let notification = try listener.nextNotification(timeout: .seconds(10))
        #expect(notification?.payload == "2")
    }
}
#endif
