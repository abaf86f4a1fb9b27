import BenchCompare
import Foundation
import Testing

/// The engine's side draws what `Benchmarks/workloads.json` says: the generator's and the
/// deal cards' check vectors, read from the file itself, and the file's workload order.
@Suite("Workload definitions")
struct WorkloadDefinitionTests {
    static let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Benchmarks")

    static func definitions() throws -> WorkloadDefinitions {
        try WorkloadDefinitions(path: benchmarks.appendingPathComponent("workloads.json").path)
    }

    @Test func namesAreInTheFilesOrder() throws {
        #expect(try Self.definitions().names == ["trace", "trace-seph", "concurrent", "dealcards", "incremental"])
    }

    @Test func sameAsTakesTheBaseAndKeepsItsOwnTraces() throws {
        let definitions = try Self.definitions()
        let seph = try definitions.workload("trace-seph")
        #expect(definitions.kind(of: "trace-seph") == "trace")
        #expect(seph["traces"] == .array(["seph-blog1"]))
        #expect(seph["text_name"] == "text")
        #expect(throws: WorkloadError.self) { try definitions.workload("nope") }
    }

    @Test func theGeneratorMatchesTheFilesCheckValues() throws {
        guard case .array(let checks)? = try Self.definitions().root["prng"]?.object?["check"] else {
            Issue.record("no prng.check in workloads.json")
            return
        }
        #expect(checks.count == 2)
        for check in checks.compactMap(\.object) {
            var generator = SplitMix64(seed: UInt64(check["seed"]?.number ?? -1))
            guard case .array(let outputs)? = check["first_outputs"] else { continue }
            for output in outputs.compactMap(\.string) {
                #expect(generator.next() == UInt64(output.dropFirst(2), radix: 16))
            }
        }
    }

    @Test func dealCardWritesMatchTheFilesCheckValues() throws {
        let spec = try Self.definitions().workload("dealcards")
        let draws = try DealCardDraws(definition: spec)
        #expect(draws.documents == 1_000 && draws.replicaIDs == [1, 2, 3] && draws.writesPerReplica == 100)
        #expect(draws.fieldNames.count == 50 && draws.fieldNames[7] == "f07" && draws.fieldNames[49] == "f49")
        guard case .array(let checks)? = spec["write"]?.object?["check"] else {
            Issue.record("no dealcards.write.check in workloads.json")
            return
        }
        for check in checks.compactMap(\.object) {
            let document = Int(check["document"]?.number ?? -1), replica = Int(check["replica_index"]?.number ?? -1)
            var generator = SplitMix64(seed: DealCardDraws.seed(document: document, replicaIndex: replica))
            guard case .array(let writes)? = check["first_writes"] else { continue }
            for (index, write) in writes.enumerated() {
                guard case .array(let pair) = write, pair.count == 2 else { continue }
                let drawn = draws.draw(&generator, index: index)
                let value: JSONValue = switch drawn.value {
                case .int(let number): .int(Int(number))
                case .string(let text): .string(text)
                }
                #expect([JSONValue.string(draws.fieldNames[drawn.field]), value] == pair, "document \(document), replica \(replica), write \(index)")
            }
        }
        #expect(draws.initialValue(field: 4) == .int(4_000))
        #expect(draws.initialValue(field: 7) == .string("init-7"))
    }

    @Test func unexpectedAndMissingFiguresAreNamed() throws {
        let spec = try Self.definitions().workload("concurrent")
        let good: Fields = ["trace": "friendsforever", "deltas_applied": 25_457, "agents": 2]
        #expect(WorkloadDefinitions.unexpected(spec, good).isEmpty)
        var wrong = good
        wrong["deltas_applied"] = 1
        #expect(WorkloadDefinitions.unexpected(spec, wrong) == ["deltas_applied": .array([1, 25_457])])
        let missing = WorkloadDefinitions.missingReports(spec, good.merging(["not_available": .object(["replay_ms": "no"])]) { $1 })
        #expect(missing.contains("final_length") && !missing.contains("replay_ms") && !missing.contains("agents"))
    }
}
