import Foundation

/// A sequential editing trace (format in `Benchmarks/data/README.md`):
/// patches of (position, delete count, inserted text) applied in order to an empty text.
struct EditingTrace {
    struct Patch {
        var position: Int
        var deleteCount: Int
        var insert: String
    }

    /// Transactions, each a list of patches applied in order.
    var transactions: [[Patch]]
    var startContent: String
    var endContent: String

    var patchCount: Int { transactions.reduce(0) { $0 + $1.count } }

    /// Loads a gzipped JSON trace. Decompression uses the system `gzip` (Foundation on Linux
    /// has none of its own).
    static func load(path: String) throws -> EditingTrace {
        let json = try gunzip(path: path)
        guard let root = try JSONSerialization.jsonObject(with: json) as? [String: Any],
              let txns = root["txns"] as? [[String: Any]],
              let end = root["endContent"] as? String else {
            throw BenchError("\(path): not a sequential editing trace")
        }
        var transactions: [[Patch]] = []
        transactions.reserveCapacity(txns.count)
        for txn in txns {
            guard let patches = txn["patches"] as? [[Any]] else { throw BenchError("\(path): transaction without patches") }
            transactions.append(try patches.map { patch in
                guard patch.count == 3, let position = patch[0] as? Int, let deleteCount = patch[1] as? Int,
                      let insert = patch[2] as? String else { throw BenchError("\(path): malformed patch \(patch)") }
                return Patch(position: position, deleteCount: deleteCount, insert: insert)
            })
        }
        return EditingTrace(transactions: transactions, startContent: root["startContent"] as? String ?? "", endContent: end)
    }
}

/// Runs `gzip -dc path` and returns its output.
func gunzip(path: String) throws -> Data {
    guard FileManager.default.fileExists(atPath: path) else { throw BenchError("no trace file at \(path)") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "exec gzip -dc \"$0\"", path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw BenchError("gzip -dc \(path) failed with status \(process.terminationStatus)") }
    return data
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
