/// Why a change was refused: the `code` of a refusal in a sync answer, of a write-rule
/// refusal, and of a change kept in a device's quarantine.
///
/// The codes are listed in full in `protocol-spec/sync.md` ("Refusal codes"); a test holds
/// that list and ``known`` equal. The type is open, not an enum: a device reads a code a newer
/// relay invented as a code like any other (it quarantines the change and shows the code),
/// instead of failing to read the whole answer. Code compares against the named constants;
/// nothing builds one from a string literal, so a misspelt code does not compile.
public struct RefusalCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The code on the wire and in stores, `snake_case`; it never changes for a known code.
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }

    // The relay's checks, in the order it makes them (sync.md, "Pushed changes").

    /// The push item is not a change blob that decodes (its `ref` is a placeholder, its
    /// `index` names the item).
    public static let malformed = RefusalCode(rawValue: "malformed")
    /// The change, or the document with it, is over a budget of the card (`CardBudget`).
    public static let tooLarge = RefusalCode(rawValue: "too_large")
    /// The deal is hidden from the token, or does not exist and may not be created by it.
    public static let unknownDeal = RefusalCode(rawValue: "unknown_deal")
    /// The change's replica belongs to another user or device.
    public static let impersonation = RefusalCode(rawValue: "impersonation")
    /// The change's metadata does not name the token's user, role or device, or is not an
    /// author record.
    public static let forgedAuthor = RefusalCode(rawValue: "forged_author")
    /// Another change is already stored under the same (replica, seq).
    public static let conflictingChange = RefusalCode(rawValue: "conflicting_change")
    /// The change depends on changes the relay does not have, or is not its author's next.
    public static let missingDependency = RefusalCode(rawValue: "missing_dependency")
    /// The change's `startOp` is not one past its causal past's greatest counter.
    public static let counterJump = RefusalCode(rawValue: "counter_jump")
    /// The author's role may not write this field or document.
    public static let permission = RefusalCode(rawValue: "permission")
    /// The value does not fit the field's type or allowed values.
    public static let invalidValue = RefusalCode(rawValue: "invalid_value")
    /// The op does not fit the card's shape (a container where a value belongs, a key that
    /// is not a field path, a record in the wrong kind of list).
    public static let badStructure = RefusalCode(rawValue: "bad_structure")
    /// The op names an object the document does not have.
    public static let unknownObject = RefusalCode(rawValue: "unknown_object")

    // Codes a device writes in its own quarantine; never sent by a relay.

    /// A local change made after a refused one, which could not be re-made on top of the
    /// relay's state when the device rebased its outbox.
    public static let dependsOnRefused = RefusalCode(rawValue: "depends_on_refused")
    /// A quarantined change from a device store written before codes were kept.
    public static let refused = RefusalCode(rawValue: "refused")
    /// A stored change this build cannot load (its bytes do not decode, or today's engine
    /// refuses it): set aside when its document is loaded, so the rest of the deal opens.
    public static let unloadable = RefusalCode(rawValue: "unloadable")
    /// A local change made on a state from before the relay compacted its history, which
    /// could not be re-made on top of the compacted document the device then took.
    public static let behindHorizon = RefusalCode(rawValue: "behind_horizon")

    /// Every code a relay sends, in the order of its checks.
    public static let relayCodes: [RefusalCode] = [
        .malformed, .tooLarge, .unknownDeal, .impersonation, .forgedAuthor, .conflictingChange,
        .missingDependency, .counterJump, .permission, .invalidValue, .badStructure, .unknownObject,
    ]

    /// Every code this build knows: the relay's and the device's own.
    public static let known: [RefusalCode] = relayCodes + [.dependsOnRefused, .refused, .unloadable, .behindHorizon]
}
