import BenchCompare
import CRDT
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
let usage = """
OVERVIEW: Benchmarks of the deal sync engine; prints one JSON object per line.

USAGE: sync-bench <suite> [options]

SUITES:
  crdt      Replay the automerge-paper trace; the deal-card merge workload.
  store     A device store of --cards deals: build, open, list, load a card, edit.
  relay     A relay on loopback: idle connections held, pushes, a fresh device's first sync,
            one change fanned out to live watchers; the relay's store on disk against a
            device's. With --seed-direct, the relay's memory (a sync-server child process).
  hostile   One hostile push of --ops record inserts on --deals deals; /healthz meanwhile.
  sequence  Deleting the elements of one long list or text run, local and remote, by order.
  group-commit  --devices devices push one change each at once (another process); vs a raw commit loop.
  analytics GET /v1/analytics over --deals deals; /healthz and sync rounds while it is polled.
  compare   The workloads of Benchmarks/workloads.json on this engine, Loro and Yrs, one
            process each; every line, then ours as a ratio to the best peer per figure
            (JSON lines on stdout, the table on stderr). See Benchmarks/README.md.

OPTIONS:
  --data DIR            Folder of the editing traces (default: Benchmarks/data). crdt, compare
  --trace NAME          Sequential trace to replay, DIR/NAME.json.gz (default: seph-blog1). crdt
  --seed N              Seed of the random workloads (default: 42). crdt, sequence
  --cards N             Deals in the store (default: 10000). store
  --edits N             Edits in each edit measurement (default: 1000). store
  --connections N       Idle connections held open; 0 skips (default: 10000). relay
  --deals N             Deals pushed and then fetched by a fresh device (default: 1000). relay
                        Deals in the relay's store (default: 30000). analytics
  --requests N          Analytics requests timed one after the other (default: 20). analytics
  --seconds N           Length of each probing window, alone and under load (default: 20). analytics
  --devices N           Devices pushing; the first alone, then the rest at once (default: 4). relay
                        Devices pushing one change each at once (default: 100). group-commit
  --first-push          Each device's push is its first round (cursor 0, so also a first sync),
                        not a push at the cursor of a device that synced before. group-commit
  --edits-per-deal N    Price edits per deal before the push (default: 4). relay
  --first-syncs N       Fresh devices making a first sync; the median is reported (default: 5). relay
  --watchers N,N,...    Live watchers long-polling from another process, one count at a time;
                        0 skips (default: 1000). relay
  --seed-direct         Make the first sync's deals in this process and push them in large
                        requests, skipping the device-write and push measurements; the relay
                        runs as a sync-server child (build it too) and its memory is reported.
                        Needs --connections 0 --watchers 0. relay
  --postgres URL        Run the relay over PostgreSQL (a throwaway database per setup is created on
                        URL's server and dropped): pushes a second (--devices, default 100) and
                        fan-out (--watchers, default 100) for SQLite, one PostgreSQL node and two,
                        in one run. Needs a build with --traits PostgreSQL. relay
  --ops N               Record inserts in the hostile push (default: 600000). hostile
  --sizes N,N,...       Element counts, each 1 to 100000 (default: 1000,10000,100000). sequence
  --repeat N            Repetitions of each workload; timings are medians (default: 3). compare
  --workload NAME       A workload of Benchmarks/workloads.json; repeat for several (default:
                        all of them). compare
  --peers LIST          Peers to run, comma-separated: loro, yrs, or none (default: loro,yrs). compare
  --python PATH         The peers' Python (default: Benchmarks/peers/.venv/bin/python; make it
                        with 'sh Benchmarks/peers/setup.sh'). compare
  --definitions PATH    The workload definitions (default: Benchmarks/workloads.json). compare
  -h, --help            Show this help.

EXAMPLES:
  swift run -c release sync-bench store --cards 100000
  swift run -c release sync-bench relay --connections 10000 --deals 1000
  swift run -c release sync-bench relay --connections 0 --watchers 1000,10000
  swift run -c release --traits PostgreSQL sync-bench relay --postgres "host=/tmp/pg dbname=postgres" --devices 100 --watchers 100
  swift run -c release sync-bench relay --connections 0 --watchers 0 --deals 100000 --seed-direct --first-syncs 3
  swift run -c release sync-bench sequence --sizes 1000,10000
  swift run -c release sync-bench analytics --deals 100000
  swift run -c release sync-bench compare --repeat 3
  swift run -c release sync-bench compare --workload dealcards --workload incremental --peers loro
"""

func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

/// A whole-number option within `range`, or `default`; exits 64 naming the option otherwise.
func count(_ name: String, default value: Int, in range: ClosedRange<Int>) -> Int {
    guard let text = option(name) else { return value }
    guard let number = Int(text), range.contains(number) else {
        FileHandle.standardError.write("error: \(name) takes a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'\nhint: see 'sync-bench --help'\n".data(using: .utf8)!)
        exit(64)
    }
    return number
}

/// Every value given to option `name`, in order (for an option that may be repeated).
func options(_ name: String) -> [String] {
    arguments.indices.filter { arguments[$0] == name && $0 + 1 < arguments.count }.map { arguments[$0 + 1] }
}

/// Exits 64 with a usage error naming `name` and what was wrong.
func usageError(_ name: String, _ problem: String) -> Never {
    FileHandle.standardError.write("error: \(name) \(problem)\nhint: see 'sync-bench --help'\n".data(using: .utf8)!)
    exit(64)
}

/// A comma-separated list of whole numbers within `range`, or `default`; exits 64 naming
/// the option otherwise.
func counts(_ name: String, default value: [Int], in range: ClosedRange<Int>) -> [Int] {
    guard let text = option(name) else { return value }
    let numbers = text.split(separator: ",").map { Int($0) }
    guard !numbers.isEmpty, numbers.allSatisfy({ $0.map(range.contains) == true }) else {
        FileHandle.standardError.write("error: \(name) takes whole numbers from \(range.lowerBound) to \(range.upperBound) separated by commas, got '\(text)'\nhint: see 'sync-bench --help'\n".data(using: .utf8)!)
        exit(64)
    }
    return numbers.map { $0! }
}

guard let suite = arguments.first, !arguments.contains("--help"), !arguments.contains("-h") else {
    print(usage)
    exit(arguments.isEmpty ? 64 : 0)
}
let dataFolder = option("--data") ?? "Benchmarks/data"
let traceName = option("--trace") ?? "seph-blog1"
let seed = UInt64(option("--seed") ?? "42") ?? 42

do {
    switch suite {
    case "crdt":
        try benchTrace(path: dataFolder + "/" + traceName + ".json.gz", name: traceName)
        try benchDealCards(seed: seed)
    case "trace":
        // Only the trace replay (for profiling it alone).
        try benchTrace(path: dataFolder + "/" + traceName + ".json.gz", name: traceName)
    case "store":
        try await benchStore(cards: count("--cards", default: 10_000, in: 2...10_000_000), edits: count("--edits", default: 1_000, in: 1...1_000_000))
    case "relay" where option("--postgres") != nil:
        try await benchRelayPostgres(url: option("--postgres")!, devices: count("--devices", default: 100, in: 1...10_000),
                                     watchers: counts("--watchers", default: [100], in: 0...100_000).first ?? 0)
    case "relay":
        try await benchRelay(connections: count("--connections", default: 10_000, in: 0...1_000_000),
                             deals: count("--deals", default: 1_000, in: 1...1_000_000), devices: count("--devices", default: 4, in: 1...64),
                             editsPerDeal: count("--edits-per-deal", default: 4, in: 0...10_000),
                             firstSyncs: count("--first-syncs", default: 5, in: 1...100),
                             watchers: counts("--watchers", default: [1_000], in: 0...100_000).filter { $0 > 0 },
                             seedDirect: arguments.contains("--seed-direct"))
    case "hostile":
        try await benchHostilePush(ops: count("--ops", default: 600_000, in: 1...10_000_000), deals: count("--deals", default: 5, in: 1...1_000))
    case "group-commit":
        try await benchGroupCommit(devices: count("--devices", default: 100, in: 1...10_000), firstPush: arguments.contains("--first-push"))
    case "group-commit-pusher":
        // Hidden: the child process of the group-commit suite.
        exit(await GroupCommitPusher.run(url: option("--url") ?? "", tokens: option("--tokens") ?? "",
                                         firstPush: arguments.contains("--first-push")))
    case "hostile-pusher":
        // Hidden: the child process of the hostile suite.
        exit(await HostilePusher.run(url: option("--url") ?? "", token: option("--token") ?? "",
                                     dealIDs: (option("--deal-ids") ?? "").split(separator: ",").map(String.init),
                                     ops: count("--ops", default: 1, in: 1...10_000_000)))
    case "analytics":
        try await benchAnalytics(deals: count("--deals", default: 30_000, in: 1...10_000_000), requests: count("--requests", default: 20, in: 1...10_000),
                                 seconds: count("--seconds", default: 20, in: 1...3_600))
    case "analytics-poller":
        // Hidden: the child process of the analytics suite.
        exit(await AnalyticsPoller.run(url: option("--url") ?? "", token: option("--token") ?? ""))
    case "sequence":
        try benchSequenceScaling(sizes: counts("--sizes", default: [1_000, 10_000, 100_000], in: 1...Change.maximumOps), seed: seed)
    case "watch-fanout":
        // Hidden: the child process of the relay suite's fan-out watchers.
        exit(FanOutWatchers.run(port: count("--port", default: 0, in: 1...65_535), token: option("--token") ?? "",
                                count: count("--count", default: 1, in: 1...100_000), wait: count("--wait", default: 30, in: 1...30)))
    case "connect-idle":
        // Hidden: the child process of the relay suite's idle connections.
        exit(IdleConnector.run(port: count("--port", default: 0, in: 1...65_535), count: count("--count", default: 1, in: 1...1_000_000)))
    case "compare", "compare-one":
        let definitions = try WorkloadDefinitions(path: option("--definitions") ?? "Benchmarks/workloads.json")
        let workloads = options("--workload")
        for name in workloads where !definitions.names.contains(name) {
            usageError("--workload", "takes one of \(definitions.names.joined(separator: ", ")), got '\(name)'")
        }
        let repetitions = count("--repeat", default: 3, in: 1...100)
        if suite == "compare-one" {
            // Hidden: one workload on this engine, in its own process (compare's child).
            guard workloads.count == 1 else { usageError("--workload", "is needed once for compare-one") }
            exit(try CompareOne.run(definitions: definitions, workload: workloads[0], repetitions: repetitions, dataFolder: option("--data")))
        }
        let peerList = option("--peers") ?? CompareCommand.knownPeers.joined(separator: ",")
        let peers = peerList == "none" ? [] : peerList.split(separator: ",").map(String.init)
        if let unknown = peers.first(where: { !CompareCommand.knownPeers.contains($0) }) {
            usageError("--peers", "takes loro, yrs or none, comma-separated, got '\(unknown)'")
        }
        let command = CompareCommand(repetitions: repetitions, workloads: workloads.isEmpty ? definitions.names : workloads, peers: peers,
                                     python: option("--python") ?? definitions.folder + "/peers/.venv/bin/python",
                                     dataFolder: option("--data"), definitions: definitions)
        exit(try await command.run())
    default:
        FileHandle.standardError.write("error: unknown suite '\(suite)'\n\n\(usage)\n".data(using: .utf8)!)
        exit(64)
    }
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}
