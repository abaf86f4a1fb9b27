import DealCardKit
/// Why a sync round failed. Local edits are safe in the store whatever happened.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    /// The relay could not be reached (refused, timed out, cut): retry later.
    case unreachable(String)
    /// The relay answered with an error status and body.
    case relay(status: Int, code: String, message: String)
    /// The relay's answer could not be read.
    case badResponse(String)
    /// The local store failed (on a device, a `StoreError`; on a showroom relay, its storage).
    case store(any Error & Sendable)
    /// The device has no relay URL or token configured.
    case notConfigured(String)

    public var description: String {
        switch self {
        case .unreachable(let reason): "relay unreachable: \(reason); local edits are kept and will be sent on the next sync"
        case .relay(let status, let code, let message): "relay refused the sync (\(status) \(code)): \(message)"
        case .badResponse(let reason): "relay sent an answer this device cannot read: \(reason)"
        case .store(let error): "device store: \(error)"
        case .notConfigured(let reason): reason
        }
    }

    /// Whether the relay said the cursor is past its log (`409`, code or message
    /// `cursor_ahead`): its data was replaced, and ``SyncRound/cursorAhead()`` says what to do.
    public var isCursorAhead: Bool {
        guard case .relay(409, let code, let message) = self else { return false }
        return code == "cursor_ahead" || message.hasPrefix("cursor_ahead")
    }

    /// Whether the relay said the cursor is behind the history it compacted (`409`, code or
    /// message `history_compacted`): as for ``isCursorAhead``, the device syncs again from 0.
    public var isHistoryCompacted: Bool {
        guard case .relay(409, let code, let message) = self else { return false }
        return code == "history_compacted" || message.hasPrefix("history_compacted")
    }

    /// Whether the device must forget its cursor and sync again from 0: the relay's data was
    /// replaced (``isCursorAhead``) or its history compacted past the cursor (``isHistoryCompacted``).
    public var needsFirstSyncAgain: Bool { isCursorAhead || isHistoryCompacted }

    /// Whether retrying later may succeed (network trouble, relay restarting, overload).
    public var isTransient: Bool {
        switch self {
        case .unreachable: true
        case .relay(let status, _, _): status == 408 || status == 429 || status >= 500
        case .badResponse: true
        case .store, .notConfigured: false
        }
    }
}

/// What the device shows about its connection to the relay.
public enum SyncState: Sendable, Equatable, CustomStringConvertible {
    case offline(String)
    case syncing
    case upToDate
    case error(String)

    public var description: String {
        switch self {
        case .offline(let reason): "offline (\(reason))"
        case .syncing: "syncing"
        case .upToDate: "up to date"
        case .error(let reason): "error: \(reason)"
        }
    }
}

/// What one sync round did.
public struct SyncReport: Sendable, Equatable {
    public var pushed = 0
    public var accepted = 0
    public var refused: [RefusedChange] = []
    public var received = 0
    public var snapshots = 0
    public var cursor: LogPosition = .start
    public var rounds = 0
    /// Deals asked for in `fetch` that came whole.
    public var fetched: [DealID] = []
    /// Deals asked for in `fetch` that the relay has none of for this token.
    public var unknownDeals: [DealID] = []
    /// When the round made a first sync: the closed-deal window the relay applied (nil:
    /// every deal) and how many deals it left out.
    public var closedDealDays: Int?
    public var archivedDeals: Int?

    public init() {}
}
