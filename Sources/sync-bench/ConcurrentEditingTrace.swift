import Foundation

/// A concurrent editing trace (format in `Benchmarks/data/README.md`): transactions made
/// by agents, each on the merge of its parents' states.
struct ConcurrentEditingTrace {
    struct Transaction {
        var agent: Int
        /// Indexes of earlier transactions.
        var parents: [Int]
        var patches: [EditingTrace.Patch]
    }

    var agents: Int
    var transactions: [Transaction]
    var endContent: String

    var patchCount: Int { transactions.reduce(0) { $0 + $1.patches.count } }

    /// Loads a gzipped concurrent trace, decoded straight into these structs (as
    /// ``EditingTrace/load(path:)`` does, for the same reason).
    static func load(path: String) throws -> ConcurrentEditingTrace {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: try gunzip(path: path))
        } catch let error as DecodingError {
            throw BenchError("\(path): not a concurrent editing trace (\(error))")
        }
        return ConcurrentEditingTrace(agents: file.numAgents, transactions: file.txns, endContent: file.endContent)
    }

    /// The file's layout, for decoding.
    private struct File: Decodable {
        var numAgents: Int
        var endContent: String
        var txns: [Transaction]
    }
}

extension ConcurrentEditingTrace.Transaction: Decodable {}
