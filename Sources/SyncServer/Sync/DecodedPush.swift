import CRDT
import SyncProtocol

/// The changes of one push, decoded before the request reaches the relay actor.
///
/// Decoding (base64, then the change blob) is pure and costs time in proportion to the
/// bytes, so it runs on the request's own thread, where it holds up no other request. It
/// stops at the request's op budget: the items after it are left out of the answer (neither
/// accepted nor refused) and the device sends them again in its next round. The first item
/// is always decoded, so every round makes progress.
struct DecodedPush: Sendable {
    /// One push item and what decoding made of it.
    struct Item: Sendable {
        /// The item's position in the request's `push`.
        var index: Int
        var pushed: PushedChange
        /// The change blob's bytes; nil when the text is not base64.
        var bytes: [UInt8]?
        /// The change, or why it could not be read.
        var change: Result<Change, DecodeProblem>
    }

    struct DecodeProblem: Error, Sendable {
        var message: String
    }

    /// Ops one request may bring in all.
    static let opsPerRequest = 100_000

    var items: [Item]
    /// Push items not decoded (over the request's op budget): not answered, to be sent again.
    var deferred: Int

    /// Decodes `pushed` in order, up to `opsPerRequest` ops (at least one item).
    static func decode(_ pushed: [PushedChange], opsPerRequest: Int = DecodedPush.opsPerRequest) -> DecodedPush {
        var items: [Item] = []
        var ops = 0
        for (index, item) in pushed.enumerated() {
            guard let bytes = decodeBase64(item.change) else {
                items.append(Item(index: index, pushed: item, bytes: nil, change: .failure(DecodeProblem(message: "not base64"))))
                continue
            }
            let change: Change
            do {
                change = try Change(encoded: bytes)
            } catch {
                items.append(Item(index: index, pushed: item, bytes: bytes, change: .failure(DecodeProblem(message: "\(error)"))))
                continue
            }
            if !items.isEmpty && ops + change.ops.count > opsPerRequest {
                return DecodedPush(items: items, deferred: pushed.count - index)
            }
            ops += change.ops.count
            items.append(Item(index: index, pushed: item, bytes: bytes, change: .success(change)))
        }
        return DecodedPush(items: items, deferred: 0)
    }
}
