import SyncProtocol

/// A long-poll's answer, built once and shared by every long-poll woken with the same
/// ``ReadScope``, cursor and limit: the response and its JSON bytes, encoded once.
struct LongPollAnswer: Sendable {
    let response: SyncResponse
    /// ``response`` as the route sends it (``encodeAnswer(_:)``).
    let body: [UInt8]
}
