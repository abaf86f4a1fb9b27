import Foundation

/// One value of a benchmark line: what the lines of `workloads.json`'s output format hold.
///
/// Integers and fractions are kept apart so that a count read from a peer's line is written
/// back as the same digits.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The number, for integers and fractions alike; nil for anything else (a flag is not a figure).
    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// The object's members, if this is one.
    public var object: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The text, if this is a string.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// The fields of one output line: key to value.
public typealias Fields = [String: JSONValue]

/// Reading and writing the lines of the comparison's output format: one JSON object per
/// line, keys sorted.
public enum FigureLine {
    /// The fields of `line`, or nil when it is not one JSON object (a peer's stray output).
    public static func parse(_ line: some StringProtocol) -> Fields? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("{") else { return nil }
        return try? JSONDecoder().decode(Fields.self, from: Data(trimmed.utf8))
    }

    /// `fields` as one line of JSON, keys sorted (as the peers' `json.dumps(sort_keys=True)`,
    /// without its spaces).
    public static func render(_ fields: Fields) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value here is encodable; a failure would be a bug in this file.
        let data = try! encoder.encode(fields)
        return String(decoding: data, as: UTF8.self)
    }
}
