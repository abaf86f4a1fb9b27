import SyncProtocol

/// What ``Relay/sync(_:decoded:token:)`` answers: a response now, or a long-poll to await.
enum SyncAnswer: Sendable {
    /// The answer, ready to encode.
    case ready(SyncResponse)
    /// Nothing new yet: await the ticket off the relay actor (``Relay/outcome(of:)``); its
    /// answer comes encoded, shared with the long-polls woken with it.
    case waiting(LongPollTicket)
}
