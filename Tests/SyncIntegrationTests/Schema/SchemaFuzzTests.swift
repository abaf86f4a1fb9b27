import Testing
import DealCardKit
import TestSupport

/// Untrusted bytes never trap: mutated schema files and field inputs either parse
/// or are refused with an error. Seeds are pinned so a failure repeats (`TEST_SEED=n` runs
/// seed n alone); set `SCHEMA_FUZZ_ROUNDS` to run more rounds per seed.
@Suite("Schema fuzz")
struct SchemaFuzzTests {
    static var rounds: Int {
        // Read without Foundation: the environment is only consulted for long runs.
        guard let text = getenvString("SCHEMA_FUZZ_ROUNDS"), let rounds = Int(text) else { return 300 }
        return rounds
    }

    @Test("mutated schema files", arguments: RepeatableRandom.seeds(pinned: [1, 2, 3, 42]))
    func mutatedSchemaFiles(seed: UInt64) {
        var random = RepeatableRandom(seed: seed)
        let original = Array(SchemaFileTests.example.utf8)
        let alphabet = Array("{}[]\",:0123456789-.eE \\u\u{00}truefalsnl".utf8) + [0xFF, 0xC3]
        for round in 0..<Self.rounds {
            var bytes = original
            for _ in 0..<Int.random(in: 1...6, using: &random) {
                let position = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[position] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
                }
                if bytes.isEmpty { bytes = [0x7B] }
            }
            do {
                let schema = try DealSchema(extending: .standard, file: bytes)
                #expect(try DealSchema(extending: .standard, file: schema.canonicalJSON) == schema, "seed \(seed) round \(round)")
            } catch {
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test("random money input", arguments: RepeatableRandom.seeds(pinned: [7, 8]))
    func randomMoneyInput(seed: UInt64) {
        var random = RepeatableRandom(seed: seed)
        let characters = Array("0123456789 ,.-₽RUB\u{00A0}\u{202F}x")
        for _ in 0..<Self.rounds * 10 {
            let input = String((0..<Int.random(in: 0...24, using: &random)).map { _ in characters.randomElement(using: &random)! })
            if case .money(let minorUnits, _)? = try? FieldValue(parsing: input, type: .rubles, path: "a.b") {
                // Whatever was accepted formats and reads back to the same amount.
                let text = FieldValue.formatMoney(minorUnits: minorUnits, currency: "RUB")
                let reread = try? FieldValue(parsing: text, type: .rubles, path: "a.b")
                #expect(reread == .money(minorUnits: minorUnits, currency: "RUB"), "seed \(seed): \(input)")
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

private func getenvString(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}
