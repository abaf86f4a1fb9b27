/// A step of a deal, done online or in the showroom, skipped, or postponed.
///
/// Every field belongs to one stage. The first ten are the buyer-facing stages
/// dealers measure; ``assessment`` groups the staff card's own fields (margin,
/// scoring, approval, internal notes), which have no counterpart on the shared card.
/// The set is closed: a schema file places new fields in these stages and cannot add
/// stages, so progress reports stay comparable across a dealer group.
public enum Stage: String, Sendable, Hashable, CaseIterable, Codable {
    /// Model, trim, color, options, accessories, price.
    case vehicle
    /// The buyer's old car: description and the appraiser's valuation.
    case tradeIn
    /// Amount, term, down payment, applications to banks and their answers.
    case credit
    /// OSAGO and KASKO quotes, drivers.
    case insurance
    /// Discounts visible to the buyer (and, on the staff card, the hidden menu).
    case benefits
    /// Booking, prepayment and the payment gateway's status.
    case payment
    /// Pickup or home delivery, date, address.
    case delivery
    /// References to the deal's documents (passport, contract, invoice, policy).
    case documents
    /// The deal's chat.
    case conversation
    /// The deal's own state (lead, active, won, lost) and CRM bookkeeping.
    case status
    /// Staff-only assessment: margin, scoring, approvals, internal notes.
    case assessment

    /// Parses a stage name, with an error that lists the valid names.
    static func named(_ name: String) throws(SchemaText.Problem) -> Stage {
        guard let stage = Stage(rawValue: name) else {
            throw SchemaText.Problem(
                "unknown stage \(SchemaText.quoted(name)); expected one of "
                    + Stage.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return stage
    }
}
