import Foundation
import Synchronization

/// Hands one long-poll's answer from the relay to the request waiting for it.
///
/// The relay files the ticket and the request awaits it off the relay actor, so that waking
/// thousands of long-polls costs the actor nothing per request: it builds each distinct
/// answer once and finishes the tickets. The first ``finish(_:)`` wins; later ones do nothing.
final class LongPollTicket: Sendable {
    /// How a long-poll ended.
    enum Outcome: Sendable {
        /// Answered: woken by a commit it may read, or at the end of its wait.
        case answered(LongPollAnswer)
        /// Ended by an error (the relay is closing, the log cannot be read).
        case failed(RelayError)
        /// The request went away first (its client disconnected); nobody reads the outcome.
        case abandoned
    }

    private enum State {
        case waiting(CheckedContinuation<Outcome, Never>?)
        case finished(Outcome)
    }

    /// Names the long-poll in the relay's index.
    let id = UUID()
    private let state = Mutex<State>(.waiting(nil))

    /// The outcome, once the relay has finished the ticket.
    func outcome() async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let ready: Outcome? = state.withLock { state in
                switch state {
                case .waiting:
                    state = .waiting(continuation)
                    return nil
                case .finished(let outcome):
                    return outcome
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Ends the long-poll with `outcome` and resumes its request; returns false when it had
    /// ended already.
    @discardableResult
    func finish(_ outcome: Outcome) -> Bool {
        let (finished, continuation): (Bool, CheckedContinuation<Outcome, Never>?) = state.withLock { state in
            guard case .waiting(let continuation) = state else { return (false, nil) }
            state = .finished(outcome)
            return (true, continuation)
        }
        continuation?.resume(returning: outcome)
        return finished
    }
}
