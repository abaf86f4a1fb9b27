import DealCardKit
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
    /// One push item as the request's JSON holds it: deal and document still as text, so
    /// that an item naming no valid deal or document is refused alone (as `malformed`), not
    /// the whole request.
    struct Received: Decodable, Sendable {
        var deal: String
        var document: String
        var change: String

        init(deal: String, document: String, change: String) {
            self.deal = deal
            self.document = document
            self.change = change
        }

        init(_ pushed: PushedChange) {
            self.init(deal: pushed.deal.rawValue, document: pushed.document.rawValue, change: pushed.change)
        }
    }

    /// One push item and what decoding made of it.
    struct Item: Sendable {
        /// The item's position in the request's `push`.
        var index: Int
        /// The item; for one whose deal or document is not valid, the placeholders
        /// `placeholderDeal` and `.shared` stand in (and `change` is a failure).
        var pushed: PushedChange
        /// The change blob's bytes; nil when the text is not base64.
        var bytes: [UInt8]?
        /// The change, or why it could not be read.
        var change: Result<Change, DecodeProblem>
    }

    /// Why an item cannot be read, as the end of a sentence starting "push item N".
    struct DecodeProblem: Error, Sendable {
        var message: String
    }

    /// The deal a `malformed` refusal names when the item's own deal id is not valid.
    static let placeholderDeal = DealID("-")!

    /// Ops one request may bring in all.
    static let opsPerRequest = 100_000

    var items: [Item]
    /// Push items not decoded (over the request's op budget): not answered, to be sent again.
    var deferred: Int

    /// How many items the request pushed, decoded or not.
    var count: Int { items.count + deferred }

    /// Decodes `pushed` in order, up to `opsPerRequest` ops (at least one item).
    static func decode(_ pushed: [PushedChange], opsPerRequest: Int = DecodedPush.opsPerRequest) -> DecodedPush {
        decode(pushed.map(Received.init), opsPerRequest: opsPerRequest)
    }

    /// Decodes `received` in order, up to `opsPerRequest` ops (at least one item). An item
    /// whose deal id breaks the syntax (``DealID``) or whose document is neither card is
    /// unreadable like a blob that does not decode.
    static func decode(_ received: [Received], opsPerRequest: Int = DecodedPush.opsPerRequest) -> DecodedPush {
        var items: [Item] = []
        var ops = 0
        for (index, raw) in received.enumerated() {
            let deal = DealID(raw.deal)
            let document = DealDocumentKind(rawValue: raw.document)
            var item = PushedChange(deal: deal ?? placeholderDeal, document: document ?? .shared, change: [])
            item.change = raw.change
            if deal == nil || document == nil {
                let problem = deal == nil
                    ? "names deal \(quoted(raw.deal)), which is not a deal id: \(DealID.problem(with: raw.deal) ?? "")"
                    : "names document \(quoted(raw.document)); a document is \"shared\" or \"staff\""
                items.append(Item(index: index, pushed: item, bytes: nil, change: .failure(DecodeProblem(message: problem))))
                continue
            }
            guard let bytes = decodeBase64(item.change) else {
                items.append(Item(index: index, pushed: item, bytes: nil,
                                  change: .failure(DecodeProblem(message: "is not a valid change blob: not base64"))))
                continue
            }
            let change: Change
            do {
                change = try Change(encoded: bytes)
            } catch {
                items.append(Item(index: index, pushed: item, bytes: bytes,
                                  change: .failure(DecodeProblem(message: "is not a valid change blob: \(error)"))))
                continue
            }
            if !items.isEmpty && ops + change.ops.count > opsPerRequest {
                return DecodedPush(items: items, deferred: received.count - index)
            }
            ops += change.ops.count
            items.append(Item(index: index, pushed: item, bytes: bytes, change: .success(change)))
        }
        return DecodedPush(items: items, deferred: 0)
    }

    /// `text` in quotes for a refusal's reason, cut after 64 characters: the answer never
    /// repeats much of what a client sent.
    private static func quoted(_ text: String) -> String {
        text.count <= 64 ? "\"\(text)\"" : "\"\(text.prefix(64))…\""
    }
}
