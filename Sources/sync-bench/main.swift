import CRDT
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
OVERVIEW: Benchmarks of the deal sync engine; prints one JSON object per line.

USAGE: sync-bench <suite> [--data DIR] [--seed N]

SUITES:
  crdt      Replay the automerge-paper trace; the deal-card merge workload.

OPTIONS:
  --data DIR   Folder of the editing traces (default: ../shared/bench-data).
  --seed N     Seed of the deal-card workload (default: 42).
  -h, --help   Show this help.
"""

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

guard let suite = arguments.first, !arguments.contains("--help"), !arguments.contains("-h") else {
    print(usage)
    exit(arguments.isEmpty ? 64 : 0)
}
let dataFolder = option("--data") ?? "../shared/bench-data"
let seed = UInt64(option("--seed") ?? "42") ?? 42

do {
    switch suite {
    case "crdt":
        try benchTrace(path: dataFolder + "/automerge-paper.json.gz", name: "automerge-paper")
        try benchDealCards(seed: seed)
    default:
        FileHandle.standardError.write("error: unknown suite '\(suite)'\n\n\(usage)\n".data(using: .utf8)!)
        exit(64)
    }
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
