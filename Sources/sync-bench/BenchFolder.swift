import Foundation

/// A fresh folder under the system's temporary directory, removed by ``remove()``.
///
/// Benchmarks write their stores here, on the same disk as a real device would, so the
/// fsync costs they measure are real.
struct BenchFolder {
    let path: String

    init(_ name: String) throws {
        path = NSTemporaryDirectory().appending("sync-bench-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A path inside the folder.
    func sub(_ name: String) -> String { path + "/" + name }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
