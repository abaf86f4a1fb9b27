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
    /// has none of its own). The JSON is decoded straight into these structs: building
    /// Foundation objects for automerge-paper's 260,000 transactions first would take about
    /// 1 GB, which a benchmark's peak memory would then report.
    static func load(path: String) throws -> EditingTrace {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: try gunzip(path: path))
        } catch let error as DecodingError {
            throw BenchError("\(path): not a sequential editing trace (\(error))")
        }
        return EditingTrace(transactions: file.txns.map(\.patches), startContent: file.startContent ?? "", endContent: file.endContent)
    }

    /// The file's layout, for decoding.
    private struct File: Decodable {
        struct Transaction: Decodable { var patches: [Patch] }
        var startContent: String?
        var endContent: String
        var txns: [Transaction]
    }
}

extension EditingTrace.Patch: Decodable {
    /// A patch is written `[position, deleteCount, insertText]`.
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        position = try container.decode(Int.self)
        deleteCount = try container.decode(Int.self)
        insert = try container.decode(String.self)
        guard container.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "a patch has three members")
        }
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
