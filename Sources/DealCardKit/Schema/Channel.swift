/// Where a change was made; recorded with every change so a card can show its history.
///
/// The channel never affects permissions: a buyer on a kiosk has the same rights as
/// on the web site. It is provenance, shown to people and counted by analytics.
public enum Channel: String, Sendable, Hashable, CaseIterable, Codable {
    /// The dealer's web site, in the buyer's own browser.
    case web
    /// A showroom kiosk.
    case kiosk
    /// A showroom tablet, usually handed to the buyer by a manager.
    case tablet
    /// A manager's desktop PC.
    case pc
    /// A phone app (buyer or staff).
    case phone
    /// A CRM, DMS or payment-gateway connector.
    case integration
}
