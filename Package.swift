// swift-tools-version: 6.0
// The deal sync engine. No package dependencies: only the Swift toolchain and the
// system libsqlite3 (Debian: libsqlite3-dev). See README.md.
import PackageDescription

let package = Package(
    name: "DealSync",
    products: [
        .library(name: "CRDT", targets: ["CRDT"]),
        .library(name: "SyncCore", targets: ["SyncCore"]),
        .library(name: "SyncServer", targets: ["SyncServer"]),
        .executable(name: "sync-client", targets: ["sync-client"]),
        .executable(name: "sync-server", targets: ["sync-server"]),
        .executable(name: "sync-bench", targets: ["sync-bench"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CRDT"),
        .target(name: "CLIKit"),
        .target(name: "SyncCore", dependencies: ["CRDT", "CSQLite"]),
        .target(name: "SyncServer", dependencies: ["CRDT", "SyncCore"]),
        .executableTarget(name: "sync-client", dependencies: ["CRDT", "SyncCore", "SyncServer", "CLIKit"]),
        .executableTarget(name: "sync-server", dependencies: ["SyncServer", "CLIKit"]),
        .executableTarget(name: "sync-bench", dependencies: ["CRDT", "SyncCore", "SyncServer"]),
        .testTarget(name: "CRDTTests", dependencies: ["CRDT"]),
        .testTarget(name: "SyncIntegrationTests", dependencies: ["CRDT", "SyncCore", "SyncServer", "CLIKit"]),
    ],
    swiftLanguageModes: [.v6]
)
