/// The part a participant plays in a deal; every write is checked against it.
///
/// Raw values are the wire and schema-file spelling and never change.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    /// The customer buying the car, on the web site, a kiosk or a tablet.
    case buyer
    /// The sales manager who owns the deal.
    case sales
    /// The trade-in appraiser; the only person who values the buyer's old car.
    case appraiser
    /// The credit and insurance specialist (F&I).
    case finance
    /// The cashier who takes and refunds payments.
    case cashier
    /// The head of sales: reads every deal of the dealership, approves and supervises.
    case head
    /// A CRM, DMS or payment-gateway connector acting through the API.
    case integration

    /// Whether the role belongs to the dealership (everyone but the buyer).
    ///
    /// Staff roles may read the staff card; the buyer never does.
    public var isStaff: Bool { self != .buyer }

    /// The role's position in ``allCases``; used to list roles in a stable order.
    var order: Int { Role.allCases.firstIndex(of: self)! }

    /// Parses a role name, with an error that lists the valid names.
    ///
    /// - Throws: a message like `unknown role "manager"; expected one of buyer, sales, …`.
    static func named(_ name: String) throws(SchemaText.Problem) -> Role {
        guard let role = Role(rawValue: name) else {
            throw SchemaText.Problem(
                "unknown role \(SchemaText.quoted(name)); expected one of "
                    + Role.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return role
    }

    /// Sorts roles in declaration order (buyer, sales, …), for messages and encoding.
    static func ordered<S: Sequence>(_ roles: S) -> [Role] where S.Element == Role {
        roles.sorted { $0.order < $1.order }
    }
}
