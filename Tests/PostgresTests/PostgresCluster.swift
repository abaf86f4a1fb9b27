#if PostgreSQL
import Foundation
import Testing
import TestSupport

/// A real PostgreSQL cluster for a test suite: `initdb` into a temporary folder, `pg_ctl
/// start` listening only on a Unix socket in that folder, `pg_ctl stop` after the suite.
/// The server binaries are found with `pg_config --bindir` (Debian keeps them out of the
/// PATH). PostgreSQL refuses to run as root, so under root both run as the `postgres` user
/// (`runuser -u postgres`), which then owns the folder.
final class PostgresCluster: Sendable {
    let folder: TemporaryDirectory
    let binaries: String
    let asPostgres: Bool
    /// The libpq connection string of the cluster's `postgres` database.
    let connectionString: String

    @TaskLocal static var current: PostgresCluster?

    /// The cluster the enclosing suite started (``PostgresClusterTrait``).
    static func running() throws -> PostgresCluster {
        guard let current else { throw ChildProcess.Failure("no PostgreSQL cluster: give the suite the .postgresCluster trait") }
        return current
    }

    private init(folder: TemporaryDirectory, binaries: String, asPostgres: Bool) {
        self.folder = folder
        self.binaries = binaries
        self.asPostgres = asPostgres
        connectionString = "host=\(folder.path) port=5432 user=postgres dbname=postgres connect_timeout=10"
    }

    static func start() async throws -> PostgresCluster {
        let bindir = try await run("/usr/bin/env", ["pg_config", "--bindir"], asPostgres: false).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let folder = try TemporaryDirectory(prefix: "pg-cluster")
        let asPostgres = getuid() == 0
        if asPostgres {
            guard let user = getpwnam("postgres") else { throw ChildProcess.Failure("running as root, and there is no postgres user to run PostgreSQL as") }
            guard chown(folder.path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw ChildProcess.Failure("cannot give \(folder.path) to the postgres user: errno \(errno)")
            }
        }
        let cluster = PostgresCluster(folder: folder, binaries: bindir, asPostgres: asPostgres)
        try await cluster.postgres("initdb", ["-D", folder.file("data"), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
        try await cluster.postgres("pg_ctl", [
            "-D", folder.file("data"), "-l", folder.file("server.log"), "-w", "-t", "60",
            "-o", "-c listen_addresses='' -k \(folder.path) -p 5432 -c fsync=off", "start",
        ])
        return cluster
    }

    /// Stops the server at once (the data is thrown away with the folder).
    func stop() async {
        _ = try? await postgres("pg_ctl", ["-D", folder.file("data"), "-m", "immediate", "-w", "stop"])
    }

    /// A new database in the cluster, for one test: its connection string.
    func freshDatabase() async throws -> String {
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await postgres("createdb", ["-h", folder.path, "-p", "5432", "-U", "postgres", name])
        return "host=\(folder.path) port=5432 user=postgres dbname=\(name) connect_timeout=10"
    }

    @discardableResult
    private func postgres(_ tool: String, _ arguments: [String]) async throws -> ChildProcess.Result {
        try await Self.run(binaries + "/" + tool, arguments, asPostgres: asPostgres)
    }

    private static func run(_ executable: String, _ arguments: [String], asPostgres: Bool) async throws -> ChildProcess.Result {
        let child = asPostgres
            ? try ChildProcess("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
            : try ChildProcess(executable, arguments)
        let result = try await child.finish(timeout: .seconds(90))
        guard result.succeeded else { throw ChildProcess.Failure("\(child.commandLine) failed: \(result)") }
        return result
    }
}

/// Starts a ``PostgresCluster`` around a whole suite and stops it after.
struct PostgresClusterTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let cluster = try await PostgresCluster.start()
        do {
            try await PostgresCluster.$current.withValue(cluster) { try await function() }
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
    }
}

extension Trait where Self == PostgresClusterTrait {
    static var postgresCluster: Self { PostgresClusterTrait() }
}
#endif
