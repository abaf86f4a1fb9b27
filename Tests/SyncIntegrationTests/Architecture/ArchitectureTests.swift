import Foundation
import Testing

/// The layering the README draws is the one `Package.swift` declares, and the one the
/// source files keep: the compiler holds the package's arrows, these tests hold the picture
/// and the few rules no arrow can say (the relay never sees the device; `sync-client` only
/// builds the relay).
@Suite("Architecture")
struct ArchitectureTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Target name → its dependencies, as `Package.swift` lists them (regular, system and
    /// executable targets; test targets aside).
    static func packageTargets() throws -> [String: [String]] {
        let text = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let pattern = try NSRegularExpression(
            pattern: #"\.(target|executableTarget|systemLibrary)\(name: "([^"]+)"(?:, dependencies: \[([^\]]*)\])?"#)
        var targets: [String: [String]] = [:]
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 2), in: text)!])
            var dependencies: [String] = []
            if let range = Range(match.range(at: 3), in: text) {
                dependencies = text[range].split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }.filter { !$0.isEmpty }
            }
            targets[name] = dependencies
        }
        return targets
    }

    /// Target name → dependencies, as the README's target list draws them.
    static func readmeTargets() throws -> [String: [String]] {
        let text = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = text.range(of: "CRDT            (nothing)") else { return [:] }
        let block = text[start.lowerBound...].prefix { $0 != "`" }
        var targets: [String: [String]] = [:]
        for line in block.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            let rest = parts[1].trimmingCharacters(in: .whitespaces)
            if rest == "(nothing)" {
                targets[parts[0]] = []
            } else if rest.hasPrefix("-> ") {
                targets[parts[0]] = rest.dropFirst(3).replacingOccurrences(of: " (built, not linked)", with: "")
                    .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            }
        }
        return targets
    }

    @Test func theReadmePictureIsPackageSwift() throws {
        var package = try Self.packageTargets()
        // The system libraries are drawn as SQLiteKit's way to libsqlite3 and PostgresKit's to libpq.
        package["CSQLite"] = nil
        package["CLibPQ"] = nil
        let readme = try Self.readmeTargets()
        #expect(!readme.isEmpty, "the README's target list was not found")
        #expect(Set(readme.keys) == Set(package.keys), "targets in the README but not Package.swift, or back")
        for (name, dependencies) in package {
            #expect(readme[name] == dependencies, "\(name): Package.swift says \(dependencies), the README \(readme[name] ?? [])")
        }
    }

    @Test func theRelayNeverSeesTheDeviceAndTheClientDoesNotLinkTheRelay() throws {
        let package = try Self.packageTargets()
        #expect(package["CRDT"] == [])
        #expect(package["SyncServer"]?.contains("SyncCore") == false)
        for pure in ["DealCardKit", "SyncProtocol"] {
            let dependencies = Set(package[pure] ?? ["?"])
            #expect(dependencies.isSubset(of: ["CRDT", "CanonicalJSON", "DealCardKit"]), "\(pure) must stay pure: \(dependencies)")
        }
        // sync-client depends on the sync-server executable only so that SwiftPM builds it
        // for the demo; an executable target's code is never linked into another.
        let client = Set(package["sync-client"] ?? [])
        #expect(!client.contains("SyncServer") && !client.contains("HTTP1"), "sync-client links the relay: \(client)")
    }

    /// The test-support targets serve the test targets alone: no product lists them and no
    /// other target depends on them, so no test helper ships; `TestSupport` itself depends on
    /// nothing, so the CRDT tests build without SQLite or the relay.
    @Test func testSupportIsForTheTestsOnly() throws {
        let support: Set<String> = ["TestSupport", "RelayTestSupport", "RelayStorageConformance"]
        let package = try Self.packageTargets()
        #expect(support.isSubset(of: Set(package.keys)))
        #expect(package["TestSupport"] == [])
        for (name, dependencies) in package where !support.contains(name) {
            #expect(support.isDisjoint(with: dependencies), "\(name) depends on test support: \(dependencies)")
        }
        let text = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let product = try NSRegularExpression(pattern: #"\.(library|executable)\(name: "([^"]+)", targets: \[([^\]]*)\]"#)
        let products = product.matches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(products.count >= 8, "the products were not found in Package.swift")
        for match in products {
            let name = String(text[Range(match.range(at: 2), in: text)!])
            let targets = text[Range(match.range(at: 3), in: text)!].split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
            #expect(support.isDisjoint(with: targets), "the product \(name) ships test support: \(targets)")
        }
    }

    /// Every `import` of a project target in a source file is one its target lists, so a file
    /// cannot reach past the picture through a target's transitive dependencies.
    @Test func everySourceFileImportsOnlyItsTargetsDependencies() throws {
        let package = try Self.packageTargets()
        let sources = Self.root.appendingPathComponent("Sources")
        var wrong: [String] = []
        for target in try FileManager.default.contentsOfDirectory(atPath: sources.path) where package[target] != nil {
            let allowed = Set(package[target] ?? [])
            guard let files = FileManager.default.enumerator(atPath: sources.appendingPathComponent(target).path) else { continue }
            for case let file as String in files where file.hasSuffix(".swift") {
                let text = try String(contentsOf: sources.appendingPathComponent(target).appendingPathComponent(file), encoding: .utf8)
                for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.contains(" import ") {
                    guard let module = line.split(separator: " ").last.map(String.init), package[module] != nil else { continue }
                    if !allowed.contains(module) { wrong.append("\(target)/\(file) imports \(module)") }
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong)")
    }
}
