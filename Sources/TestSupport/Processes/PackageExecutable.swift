import Foundation

/// An executable of this package, as SwiftPM built it beside the test runner
/// (`.build/debug/sync-server`), run as a child process.
public struct PackageExecutable: Sendable {
    /// The relay's command line.
    public static let syncServer = PackageExecutable("sync-server")
    /// The device's command line.
    public static let syncClient = PackageExecutable("sync-client")

    /// The product name.
    public let name: String

    public init(_ name: String) {
        self.name = name
    }

    /// The variable that points at another build of the executable: `SYNC_CLIENT_BINARY` for
    /// `sync-client`.
    public var overrideVariable: String {
        name.uppercased().replacingOccurrences(of: "-", with: "_") + "_BINARY"
    }

    /// The executable's path: the override variable's when set, else the one in the build
    /// folder.
    ///
    /// On Linux the tests run inside `<Package>PackageTests.xctest`, an executable in the
    /// build folder, so `CommandLine.arguments[0]` and `Bundle.main` both point into it; on
    /// macOS the build folder is the `.xctest` bundle's parent. Each is tried.
    /// - Throws: ``ChildProcess/Failure`` when it was not built.
    public func path() throws -> String {
        var candidates: [String] = []
        if let override = ProcessInfo.processInfo.environment[overrideVariable] { candidates.append(override) }
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folders = [runner.deletingLastPathComponent(), Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        folders += Bundle.allBundles.filter { $0.bundlePath.hasSuffix(".xctest") }.map { $0.bundleURL.deletingLastPathComponent() }
        candidates += folders.map { $0.appendingPathComponent(name).path }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw ChildProcess.Failure("the \(name) executable was not found (looked at: \(candidates.joined(separator: ", "))); "
                                       + "build it first with 'swift build --product \(name)' or set \(overrideVariable)")
        }
        return found
    }

    /// Starts the executable; see ``ChildProcess/init(_:_:environment:workingDirectory:standardOutput:)``.
    public func start(_ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil,
                      standardOutput: Int32? = nil) throws -> ChildProcess {
        try ChildProcess(try path(), arguments, environment: environment, workingDirectory: workingDirectory,
                         standardOutput: standardOutput)
    }

    /// Runs the executable to its end, blocking the calling thread.
    /// - Throws: ``ChildProcess/Failure`` when it cannot start, or still runs after `timeout`
    ///   (it is killed then).
    public func run(_ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil,
                    timeout: Duration = .seconds(120)) throws -> ChildProcess.Result {
        let child = try start(arguments, environment: environment, workingDirectory: workingDirectory)
        guard let result = child.waitForExit(timeout: timeout) else {
            child.kill()
            throw ChildProcess.Failure("\(name) \(arguments.joined(separator: " ")) still ran after \(timeout) and was killed")
        }
        return result
    }

    /// Runs the executable to its end without holding a thread of the concurrency pool.
    /// - Throws: ``ChildProcess/Failure`` when it cannot start, or still runs after `timeout`
    ///   (it is killed then).
    public func run(_ arguments: [String], environment: [String: String]? = nil, workingDirectory: String? = nil,
                    timeout: Duration = .seconds(120)) async throws -> ChildProcess.Result {
        try await start(arguments, environment: environment, workingDirectory: workingDirectory).finish(timeout: timeout)
    }
}
