import SyncProtocol

/// How far a showroom relay has come with its upstream relay: what it has pushed of its own
/// log and where it has pulled the upstream's log to. Kept in its store
/// (``RelayStorage/upstreamPosition(upstream:)``), one row per upstream URL.
///
/// Two requests may be in flight at once (the push loop's and the pull loop's long-poll), so
/// a position is only moved by the answer to a request sent from it; the other answer's
/// changes are applied all the same (appending is idempotent), and asking again from the
/// newer position repeats at most what that answer carried. Nothing is ever skipped.
public struct UpstreamPosition: Sendable, Hashable {
    /// The last entry of this relay's log that the upstream has answered for (accepted or
    /// refused) or that needs no push (it came from upstream); 0 before any.
    public var pushedThrough: LogPosition
    /// The upstream's log position pulled to; 0 while the first sync is not complete.
    public var cursor: LogPosition
    /// A first sync spread over several answers: where its next page starts.
    public var firstSyncPage: SyncRound.FirstSyncPage?

    public init(pushedThrough: LogPosition = .start, cursor: LogPosition = .start, firstSyncPage: SyncRound.FirstSyncPage? = nil) {
        self.pushedThrough = pushedThrough
        self.cursor = cursor
        self.firstSyncPage = firstSyncPage
    }

    /// Never synced: push the whole log, pull from 0.
    public static let start = UpstreamPosition()

    /// Whether the pull side (cursor and first-sync page) is where `other`'s is.
    func pullsFromSamePlace(as other: UpstreamPosition) -> Bool {
        cursor == other.cursor && firstSyncPage == other.firstSyncPage
    }

    /// Takes the pull position an answer reached, unless another answer moved it since the
    /// request was sent from `sentFrom`.
    mutating func pulled(to cursor: LogPosition, firstSyncPage: SyncRound.FirstSyncPage?, sentFrom: UpstreamPosition) {
        guard pullsFromSamePlace(as: sentFrom) else { return }
        self.cursor = cursor
        self.firstSyncPage = firstSyncPage
    }

    /// Takes the last log entry the upstream answered for, unless the pushed position was
    /// reset since the request was sent from `sentFrom`.
    mutating func pushed(through position: LogPosition, sentFrom: UpstreamPosition) {
        guard pushedThrough == sentFrom.pushedThrough else { return }
        pushedThrough = max(pushedThrough, position)
    }

    /// The upstream compacted its history past the cursor (`409 history_compacted`): pull
    /// everything again from 0; what the upstream answered for stays pushed. An answer to a
    /// request sent from an older pull position changes nothing, as for ``restart(sentFrom:)``.
    ///
    /// - Returns: whether the position was moved back.
    @discardableResult
    mutating func resync(sentFrom: UpstreamPosition) -> Bool {
        guard pullsFromSamePlace(as: sentFrom) else { return false }
        cursor = .start
        firstSyncPage = nil
        return true
    }

    /// The upstream's data was replaced (`409 cursor_ahead`): pull everything again from 0
    /// and push the whole log again, since the upstream may have lost what it had from here.
    /// An answer to a request sent from an older pull position than the current one changes
    /// nothing (the reset already happened, or a later answer showed the log is fine).
    ///
    /// - Returns: whether the position was reset.
    @discardableResult
    mutating func restart(sentFrom: UpstreamPosition) -> Bool {
        guard pullsFromSamePlace(as: sentFrom) else { return false }
        self = .start
        return true
    }
}
