#if PostgreSQL
import RelayStorageConformance
import SyncServer
import Testing

/// The storage conformance suite against PostgreSQL: each check on a fresh database of a
/// real cluster (the same checks run against SQLite in SyncIntegrationTests).
@Suite("Relay storage conformance: PostgreSQL", .postgresCluster)
struct PostgresStorageConformanceTests {
    @Test(arguments: RelayStorageConformance.checks.map(\.name))
    func check(_ name: String) async throws {
        let database = try await PostgresCluster.running().freshDatabase()
        let storage = try PostgresRelayStorage(database)
        defer { storage.close() }
        try RelayStorageConformance.run(name, on: storage)
    }
}
#endif
