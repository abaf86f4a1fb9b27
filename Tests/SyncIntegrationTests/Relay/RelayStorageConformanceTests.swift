import RelayStorageConformance
import SyncServer
import Testing
import TestSupport

/// The SQLite storage held to every check of ``RelayStorageConformance``, each on a fresh
/// store in a folder of its own (PostgresTests runs the same list against PostgreSQL).
@Suite("Relay storage conformance: SQLite")
struct RelayStorageConformanceTests {
    @Test(arguments: RelayStorageConformance.checks.map(\.name))
    func sqliteStorage(_ check: String) throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            defer { storage.close() }
            do {
                try RelayStorageConformance.run(check, on: storage)
            } catch let failure as ConformanceFailure {
                Issue.record("\(failure)")
            }
        }
    }

    @Test func everyCheckHasAUniqueName() {
        let names = RelayStorageConformance.checks.map(\.name)
        #expect(!names.isEmpty)
        #expect(Set(names).count == names.count, "names given twice: \(Dictionary(grouping: names) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
        #expect(names.allSatisfy { !$0.isEmpty })
    }

    @Test func anUnknownCheckNameIsAFailure() throws {
        try withTemporaryDirectory { directory in
            let storage = try SQLiteRelayStorage(directory: directory.path)
            defer { storage.close() }
            #expect(throws: ConformanceFailure.self) { try RelayStorageConformance.run("no such check", on: storage) }
        }
    }
}
