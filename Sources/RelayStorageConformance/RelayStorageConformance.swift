import SyncServer

/// Every behaviour of ``SyncServer/RelayStorage`` as a named check that throws on a
/// difference, so that each storage (SQLite, PostgreSQL) is held to the same list by its own
/// test target.
///
/// A check is given a fresh, empty, migrated store and sets up its own deals, tokens and
/// entries. It uses the protocol alone, and nothing a networked store may do differently
/// (the exact store size, say).
///
/// ```swift
/// for name in RelayStorageConformance.checks.map(\.name) {
///     let storage = try openEmptyStorage()
///     try RelayStorageConformance.run(name, on: storage)
///     storage.close()
/// }
/// ```
public enum RelayStorageConformance {
    /// One behaviour of the interface, checked.
    public struct Check: Sendable {
        /// What the storage must do, as a short sentence.
        public let name: String
        /// Runs the check on a fresh, empty, migrated store.
        /// - Throws: ``ConformanceFailure`` naming the check on a difference; the storage's
        ///   own error when a call that must pass throws.
        public let run: @Sendable (any RelayStorage) throws -> Void

        init(_ name: String, _ body: @escaping @Sendable (any RelayStorage) throws -> Void) {
            self.name = name
            run = { storage in
                do {
                    try body(storage)
                } catch let failure as ConformanceFailure {
                    throw failure.naming(check: name)
                }
            }
        }
    }

    /// Every check, grouped by topic; names are unique.
    public static let checks: [Check] = tokenChecks + dealChecks + changeLogChecks + changeFilterChecks + unloadableChecks
        + pushChecks + replicaChecks + quarantineChecks + idempotencyChecks + upstreamChecks + compactionChecks + adoptChecks
        + snapshotChecks + snapshotPageChecks + analyticsChecks + housekeepingChecks

    /// Runs the check named `name` on `storage` (a fresh, empty, migrated store).
    /// - Throws: ``ConformanceFailure`` on a difference, or when no check has that name; the
    ///   storage's own error when a call that must pass throws.
    public static func run(_ name: String, on storage: any RelayStorage) throws {
        guard let check = checks.first(where: { $0.name == name }) else {
            throw ConformanceFailure(check: name, message: "no conformance check has this name", file: #fileID, line: #line)
        }
        try check.run(storage)
    }
}
