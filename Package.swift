// swift-tools-version: 6.1
// The deal sync engine. No package dependencies: only the Swift toolchain and the
// system libsqlite3 (Debian: libsqlite3-dev); with the PostgreSQL trait, libpq too
// (Debian: libpq-dev). See README.md, "Architecture", for what each target is and may
// import; the arrows below are the only ones there are.
import PackageDescription

let package = Package(
    name: "DealSync",
    products: [
        .library(name: "CRDT", targets: ["CRDT"]),
        .library(name: "DealCardKit", targets: ["DealCardKit"]),
        .library(name: "SyncProtocol", targets: ["SyncProtocol"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .library(name: "SyncServer", targets: ["SyncServer"]),
        .executable(name: "sync-client", targets: ["sync-client"]),
        .executable(name: "sync-server", targets: ["sync-server"]),
        .executable(name: "sync-bench", targets: ["sync-bench"]),
    ],
    // Off by default: the default build neither needs nor reads libpq.
    traits: [
        .trait(name: "PostgreSQL", description: "The relay's optional PostgreSQL storage, through libpq (Debian: libpq-dev)."),
    ],
    targets: [
        // Foundations: each knows nothing of deals or sync.
        .target(name: "CRDT"),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "SQLiteKit", dependencies: ["CSQLite"]),
        // libpq, wrapped; every file of PostgresKit is compiled only with the PostgreSQL trait,
        // so without it nothing imports CLibPQ and nothing links libpq.
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", providers: [.apt(["libpq-dev"])]),
        .target(name: "PostgresKit", dependencies: ["CLibPQ"]),
        .target(name: "CanonicalJSON"),
        .target(name: "HTTP1"),
        .target(name: "CLIKit"),
        // The comparison with other CRDT libraries, its pure parts: the workloads' definitions
        // and draws, combining repeats, choosing the best peer. Tested without running any.
        .target(name: "BenchCompare"),
        // The deal card and the protocol: pure, shared by the device and the relay.
        .target(name: "DealCardKit", dependencies: ["CRDT", "CanonicalJSON"]),
        .target(name: "SyncProtocol", dependencies: ["CRDT", "DealCardKit"]),
        .target(name: "RelayClient", dependencies: ["SyncProtocol", "HTTP1"]),
        // The two sides.
        .target(name: "SyncCore", dependencies: ["CRDT", "SQLiteKit", "CanonicalJSON", "DealCardKit", "SyncProtocol", "RelayClient"]),
        .target(name: "SyncServer", dependencies: ["CRDT", "SQLiteKit", "PostgresKit", "CanonicalJSON", "HTTP1", "DealCardKit", "SyncProtocol", "RelayClient"]),
        // Executables. sync-client's demo starts the sync-server executable as a child
        // process: it is built alongside sync-client, not linked into it.
        .executableTarget(name: "sync-client", dependencies: ["CRDT", "CanonicalJSON", "DealCardKit", "SyncProtocol", "RelayClient", "SyncCore", "CLIKit", "sync-server"]),
        .executableTarget(name: "sync-server", dependencies: ["SyncServer", "SQLiteKit", "DealCardKit", "SyncProtocol", "CLIKit"]),
        .executableTarget(name: "sync-bench", dependencies: ["CRDT", "DealCardKit", "SyncProtocol", "RelayClient", "SyncCore", "SyncServer", "HTTP1", "SQLiteKit", "BenchCompare", "PostgresKit"]),
        // Test support, for the test targets only: never a dependency of a product or an
        // executable (ArchitectureTests). TestSupport knows nothing of the project, so the CRDT
        // tests use its seeded generator without building SQLite or the relay.
        .target(name: "TestSupport"),
        .target(name: "RelayTestSupport", dependencies: ["TestSupport", "CanonicalJSON", "HTTP1", "DealCardKit", "SyncProtocol", "RelayClient", "SyncCore", "SyncServer"]),
        // Every behaviour of the RelayStorage interface as checks that throw, run against each
        // storage by its own test target (SQLite in SyncIntegrationTests, PostgreSQL in PostgresTests).
        .target(name: "RelayStorageConformance", dependencies: ["CRDT", "DealCardKit", "SyncProtocol", "SyncServer"]),
        .testTarget(name: "CRDTTests", dependencies: ["CRDT", "TestSupport"]),
        .testTarget(name: "BenchCompareTests", dependencies: ["BenchCompare"]),
        // Against a real PostgreSQL cluster started in a temporary folder; empty without the trait.
        .testTarget(name: "PostgresTests", dependencies: [
            "PostgresKit", "SyncServer", "CRDT", "DealCardKit", "SyncProtocol", "SyncCore", "RelayClient", "TestSupport", "RelayTestSupport",
            "RelayStorageConformance",
        ]),
        .testTarget(name: "SyncIntegrationTests", dependencies: [
            "CRDT", "SQLiteKit", "CanonicalJSON", "HTTP1", "DealCardKit", "SyncProtocol", "RelayClient", "SyncCore", "SyncServer", "CLIKit",
            "TestSupport", "RelayTestSupport", "RelayStorageConformance",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
