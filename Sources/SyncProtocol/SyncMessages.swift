import Foundation
import CRDT
import DealCardKit

/// The version of the sync protocol this build speaks. A request with another version is
/// answered `400 unsupported_protocol` naming the versions the relay speaks.
public let syncProtocolVersion = 1

/// `POST /v1/sync`: push what the relay lacks, pull what the device lacks, in one round trip.
/// See `protocol-spec/sync.md`.
public struct SyncRequest: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// The relay log position the device has read up to (0: never synced).
    public var cursor: LogPosition
    /// Local changes for the relay, in the order they were made.
    public var push: [PushedChange]
    /// Seconds to hold the request open when there is nothing new (long-poll), 0…30.
    public var wait: Int
    /// At most this many changes in the answer (on a first sync, deals, each with all its
    /// documents the token reads).
    public var limit: Int?
    /// On a first sync (cursor 0) spread over several answers: the last deal already
    /// received, and the log position the first answer named (echoed from the answer).
    public var snapshotsAfter: DealID?
    public var bootstrapCursor: LogPosition?
    /// On a first sync: leave out deals in a closed state whose last change is older than
    /// this many days (0…36500; nil: the relay's default, 30). They are fetched when asked
    /// for (``fetch``).
    public var closedDealDays: Int?
    /// On a later sync (cursor > 0): deals to send whole, as snapshots of every document the
    /// token reads, whatever their state (at most ``SyncRequest/maxFetch``). From then on
    /// their changes come like any other deal's.
    public var fetch: [DealID]?

    /// The snapshot format versions the device can read (encoding.md), so that a relay
    /// newer than the device answers with snapshots the device can open. Absent (a device
    /// from before format version 2): version 1 only. This build sends every version it reads.
    public var snapshotFormats: [Int]?

    /// Deals one request may ask for in ``fetch``.
    public static let maxFetch = 100

    /// The snapshot format versions this build reads, as it announces them.
    public static let readableSnapshotFormats = BlobKind.snapshot.readableVersions.map(Int.init)

    public init(cursor: LogPosition, push: [PushedChange], wait: Int = 0, limit: Int? = nil) {
        self.protocolVersion = syncProtocolVersion
        self.cursor = cursor
        self.push = push
        self.wait = wait
        self.limit = limit
        self.snapshotFormats = Self.readableSnapshotFormats
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", cursor, push, wait, limit, snapshotsAfter, bootstrapCursor, closedDealDays, fetch,
             snapshotFormats
    }
}

/// One local change pushed to the relay.
public struct PushedChange: Codable, Sendable, Equatable {
    public var deal: DealID
    public var document: DealDocumentKind
    /// The change blob, base64 (see protocol-spec/encoding.md).
    public var change: String

    public init(deal: DealID, document: DealDocumentKind, change: [UInt8]) {
        self.deal = deal
        self.document = document
        self.change = Data(change).base64EncodedString()
    }
}

/// The relay's answer to a ``SyncRequest``.
public struct SyncResponse: Codable, Sendable, Equatable {
    public var protocolVersion: Int
    /// Pushed changes now durably in the relay's log (or already there).
    public var accepted: [ChangeRef]
    /// Pushed changes the relay refused, with the reason; they were not stored or relayed.
    public var refused: [RefusedChange]
    /// Whole documents, for a device that has not synced before, or of the deals it asked
    /// for (``SyncRequest/fetch``).
    public var snapshots: [DocumentSnapshot]
    /// Changes after the request's cursor that the token may read, in log order.
    public var changes: [LoggedChange]
    /// The new cursor: everything up to it has been sent.
    public var cursor: LogPosition
    /// Whether more changes wait after `cursor` (ask again at once).
    public var more: Bool
    /// On a first sync that continues in another answer: the last deal sent, and the log
    /// position to echo (see ``SyncRequest/snapshotsAfter``).
    public var snapshotsAfter: DealID?
    public var bootstrapCursor: LogPosition?
    /// On every page of a first sync: the closed-deal window the relay applied, in days
    /// (absent when it sent every deal: a relay token's first sync).
    public var closedDealDays: Int?
    /// On the last page of a first sync: how many deals the window left out.
    public var archivedDeals: Int?
    /// Deals of the request's ``SyncRequest/fetch`` that the token cannot see (hidden or
    /// missing alike). A fetched deal neither here nor in ``snapshots`` did not fit the
    /// answer: ask again (the answer says ``more``).
    public var unknownDeals: [DealID]?

    public init(accepted: [ChangeRef], refused: [RefusedChange], snapshots: [DocumentSnapshot],
                changes: [LoggedChange], cursor: LogPosition, more: Bool) {
        self.protocolVersion = syncProtocolVersion
        self.accepted = accepted
        self.refused = refused
        self.snapshots = snapshots
        self.changes = changes
        self.cursor = cursor
        self.more = more
    }

    enum CodingKeys: String, CodingKey {
        case protocolVersion = "protocol", accepted, refused, snapshots, changes, cursor, more, snapshotsAfter, bootstrapCursor,
             closedDealDays, archivedDeals, unknownDeals
    }
}

/// A pushed change the relay refused.
public struct RefusedChange: Codable, Sendable, Equatable {
    public var ref: ChangeRef
    /// Why (sync.md lists every code); a code this build does not know is kept as it came.
    public var code: RefusalCode
    /// The field involved, if any.
    public var path: String?
    public var reason: String
    /// For `malformed` refusals, whose ref cannot be read from the item (the ref is then a
    /// placeholder with seq 0): the position of the item in the request's `push` array.
    public var index: Int?

    public init(ref: ChangeRef, code: RefusalCode, path: String?, reason: String) {
        self.ref = ref
        self.code = code
        self.path = path
        self.reason = reason
    }
}

/// A whole document as a snapshot blob, base64.
public struct DocumentSnapshot: Codable, Sendable, Equatable {
    public var deal: DealID
    public var document: DealDocumentKind
    public var snapshot: String

    public init(deal: DealID, document: DealDocumentKind, snapshot: [UInt8]) {
        self.deal = deal
        self.document = document
        self.snapshot = Data(snapshot).base64EncodedString()
    }
}

/// A change from the relay's log.
public struct LoggedChange: Codable, Sendable, Equatable {
    /// Its position in the relay's log.
    public var cursor: LogPosition
    public var deal: DealID
    public var document: DealDocumentKind
    /// The change blob, base64.
    public var change: String

    public init(cursor: LogPosition, deal: DealID, document: DealDocumentKind, change: [UInt8]) {
        self.cursor = cursor
        self.deal = deal
        self.document = document
        self.change = Data(change).base64EncodedString()
    }
}

/// `GET /v1/whoami`: what the bearer token names.
public struct WhoAmI: Codable, Sendable, Equatable {
    public var user: String
    public var role: Role
    public var dealership: String
    public var device: String?
    public var deal: DealID?

    public init(user: String, role: Role, dealership: String, device: String?, deal: DealID?) {
        self.user = user
        self.role = role
        self.dealership = dealership
        self.device = device
        self.deal = deal
    }
}

/// The body of every error response: `{"error": {"code": …, "message": …}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public var path: String?
    }

    public var error: Detail

    public init(code: String, message: String, path: String? = nil) {
        error = Detail(code: code, message: message, path: path)
    }
}

extension Data {
    /// Bytes from base64 text, or nil when it is not base64.
    static func fromBase64(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { [UInt8]($0) }
    }
}

/// Decodes a base64 field of a sync message.
public func decodeBase64(_ text: String) -> [UInt8]? { Data.fromBase64(text) }
