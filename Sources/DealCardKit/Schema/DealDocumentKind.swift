/// Which of a deal's two documents a field lives in.
///
/// Every deal is two CRDT documents. The shared card is seen by the buyer and the
/// staff; the staff card (benefits menu, margin, scoring, internal notes) is never
/// sent to a buyer's device. In the schema, a field is in the staff card exactly when
/// its path starts with `staff.`, so the path alone tells where it lives.
public enum DealDocumentKind: String, Sendable, Hashable, CaseIterable, Codable {
    /// The card shared by the buyer and the staff.
    case shared
    /// The staff-only card; never sent to a buyer.
    case staff

    /// The first path segment of every field in the staff card.
    public static let staffPathPrefix = "staff"

    /// The document a field path belongs to, from its first segment.
    public static func of(path: String) -> DealDocumentKind {
        path == staffPathPrefix || path.hasPrefix(staffPathPrefix + ".") ? .staff : .shared
    }

    /// Whether `role` may read (and so receive) this document.
    public func isReadable(by role: Role) -> Bool {
        switch self {
        case .shared: true
        case .staff: role.isStaff
        }
    }

    /// The name used in messages: "the shared card" or "the staff card".
    public var displayName: String {
        switch self {
        case .shared: "the shared card"
        case .staff: "the staff card"
        }
    }
}
