import CLIKit
import DealCardKit
import SyncCore

/// Opens the store named by `--store`, runs `body`, and closes the store even when
/// `body` throws, so the next process finds it unlocked.
func withStore<Result: Sendable>(
    _ parsed: ParsedCommand, _ body: (DeviceStore) async throws -> Result
) async throws -> Result {
    let store = try DeviceStore(openingAt: parsed.option("store")!)
    do {
        let result = try await body(store)
        await store.close()
        return result
    } catch {
        await store.close()
        throw error
    }
}

/// The deal id in argument `name`.
/// - Throws: ``ValidationError`` naming the argument when it is not a valid id.
func dealID(_ parsed: ParsedCommand, argument name: String = "deal") throws(ValidationError) -> DealID {
    let text = parsed.argument(name)!
    guard let id = DealID(text) else {
        throw ValidationError("invalid value '\(text)' for '<\(name)>': " + (DealID.problem(with: text) ?? "not a deal id"))
    }
    return id
}

/// The field a path names in the device's schema.
/// - Throws: ``StoreError/unknownField(path:suggestion:)`` with the nearest path.
func fieldSpec(_ path: String, in schema: DealSchema) throws(StoreError) -> FieldSpec {
    guard let spec = schema.field(path) else { throw .unknownField(path: path, suggestion: schema.suggestion(for: path)) }
    return spec
}

/// The stage named `text`.
/// - Throws: ``ValidationError`` listing the stages, with the nearest one.
func stage(named text: String, argument: String) throws(ValidationError) -> Stage {
    if let stage = Stage(rawValue: text) { return stage }
    let names = Stage.allCases.map(\.rawValue)
    let hint = Suggestion.hint(for: text, among: names)
    throw ValidationError("invalid value '\(text)' for '<\(argument)>'; expected one of: " + names.joined(separator: ", ") + (hint.isEmpty ? "." : hint))
}

/// `text` parsed by the field's type.
/// - Throws: ``StoreError/invalidValue(_:)`` naming the field and what it expects.
func parseValue(_ text: String, for spec: FieldSpec) throws(StoreError) -> FieldValue {
    do { return try spec.value(parsing: text) } catch { throw .invalidValue(error) }
}
