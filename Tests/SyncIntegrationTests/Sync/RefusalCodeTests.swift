import DealCardKit
import Foundation
import SyncProtocol
import Testing

/// The refusal codes are one closed list in the spec and one type in code, and the two agree.
@Suite("Refusal codes")
struct RefusalCodeTests {
    /// The codes of the spec's table, in its order, and the device-only codes it names.
    static func specCodes() throws -> (relay: [String], device: [String]) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("protocol-spec/sync.md"), encoding: .utf8)
        guard let start = text.range(of: "**Refusal codes.**") else { return ([], []) }
        let section = text[start.upperBound...]
        var relay: [String] = []
        var lines = section.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
        while let line = lines.next() {
            if line.hasPrefix("| `") {
                relay.append(String(line.dropFirst(3).prefix { $0 != "`" }))
            } else if !relay.isEmpty && !line.hasPrefix("|") {
                break
            }
        }
        let deviceOnly = RefusalCode.known.map(\.rawValue).filter { !relay.contains($0) }
        return (relay, deviceOnly.filter { section.contains("`\($0)`") })
    }

    @Test func theSpecListsEveryCodeTheRelaySendsInTheOrderOfItsChecks() throws {
        let spec = try Self.specCodes()
        #expect(spec.relay == RefusalCode.relayCodes.map(\.rawValue))
        #expect(spec.device == ["depends_on_refused", "refused", "unloadable", "behind_horizon"], "the spec names the device's own codes")
        #expect(Set(RefusalCode.known).count == RefusalCode.known.count, "a code is listed twice")
    }

    /// A code from a newer relay reads as a code; the answer around it is not lost.
    @Test func anUnknownCodeReadsAsItCame() throws {
        let json = #"{"ref":{"deal":"d-1","document":"shared","replica":"00000000000000ff","seq":3},"code":"rate_limited","reason":"later"}"#
        let refusal = try JSONDecoder().decode(RefusedChange.self, from: Data(json.utf8))
        #expect(refusal.code.rawValue == "rate_limited")
        #expect(!RefusalCode.known.contains(refusal.code))
        let again = try JSONDecoder().decode(RefusedChange.self, from: JSONEncoder().encode(refusal))
        #expect(again == refusal)
    }

    @Test func aCodeIsItsRawValueOnTheWire() throws {
        #expect(String(decoding: try JSONEncoder().encode(RefusalCode.counterJump), as: UTF8.self) == #""counter_jump""#)
        #expect(try JSONDecoder().decode(RefusalCode.self, from: Data(#""permission""#.utf8)) == .permission)
    }
}
