/// A map object: each key is a multi-value register.
///
/// - Complexity: O(1) per op (one hash lookup), plus the key's concurrent values.
final class MapObject {
    var keys: [String: Register] = [:]

    /// The keys that currently hold a visible value, in ascending order.
    var visibleKeys: [String] {
        unorderedVisibleKeys.sorted()
    }

    /// The keys that currently hold a visible value, in no particular order.
    var unorderedVisibleKeys: [String] {
        keys.compactMap { $0.value.isEmpty ? nil : $0.key }
    }
}
