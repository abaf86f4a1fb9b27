extension DealSchema {
    /// The built-in deal card, which every schema file extends.
    ///
    /// Who writes what follows one principle: a value that attests to something
    /// outside the card is written only by whoever attests to it. The appraiser alone
    /// values a trade-in; only the cashier or the payment gateway marks money moved;
    /// bank and insurer answers come from finance (or a connector). The buyer edits
    /// his own configuration, trade-in description, credit questionnaire, drivers and
    /// delivery wishes; the sales manager can edit them alongside him.
    ///
    /// The head of sales reads every card of the dealership (shared and staff) but
    /// writes only where a supervisor acts: buyer-visible discounts, the staff
    /// benefits menu and its approval, margin and scoring, the deal's status and the
    /// manager assigned to it, internal notes and the chat. He does not edit the
    /// configuration, the price or the credit terms himself: those go through the
    /// responsible manager, so each card has one accountable editor per stage, and
    /// he never writes the attested values above.
    ///
    /// The integration role (CRM, DMS, payment gateway, bank portals) writes the
    /// payment status and reference, bank application answers, insurance quotes,
    /// document references and the CRM bookkeeping fields in `status`.
    public static let standard: DealSchema = {
        do { return try DealSchema(name: "default", fields: standardFields) } catch {
            preconditionFailure("the built-in schema is invalid: \(error)")
        }
    }()

    /// The built-in deal card (the same value as ``standard``).
    public static var `default`: DealSchema { standard }

    private static let staffPeople: Set<Role> = [.sales, .appraiser, .finance, .cashier, .head]
    private static let buyerAndSales: Set<Role> = [.buyer, .sales]

    private static let standardFields: [FieldSpec] = vehicle + tradeIn + credit + insurance
        + benefits + payment + delivery + documents + conversation + status + staff

    private static let vehicle: [FieldSpec] = [
        FieldSpec("vehicle.model", .text, stage: .vehicle, writers: buyerAndSales, required: true, title: "Model"),
        FieldSpec("vehicle.trim", .text, stage: .vehicle, writers: buyerAndSales, required: true, title: "Trim"),
        FieldSpec("vehicle.color", .text, stage: .vehicle, writers: buyerAndSales, required: true, title: "Color"),
        FieldSpec(
            "vehicle.options",
            .list(fields: [RecordField("code", .text, title: "Code"), RecordField("title", .text, title: "Option"),
                RecordField("price", .rubles, title: "Price")]),
            stage: .vehicle, writers: buyerAndSales, title: "Factory options"),
        FieldSpec(
            "vehicle.accessories",
            .list(fields: [RecordField("title", .text, title: "Accessory"), RecordField("quantity", .integer, title: "Quantity"),
                RecordField("price", .rubles, title: "Price")]),
            stage: .vehicle, writers: buyerAndSales, title: "Accessories"),
        FieldSpec("vehicle.vin", .text, stage: .vehicle, writers: [.sales], title: "VIN"),
        FieldSpec("vehicle.price", .rubles, stage: .vehicle, writers: [.sales], required: true, title: "Price"),
    ]

    private static let tradeIn: [FieldSpec] = [
        FieldSpec("tradeIn.description", .text, stage: .tradeIn, writers: buyerAndSales, required: true, title: "Buyer's description"),
        FieldSpec("tradeIn.model", .text, stage: .tradeIn, writers: buyerAndSales, title: "Model of the trade-in car"),
        FieldSpec("tradeIn.year", .integer, stage: .tradeIn, writers: buyerAndSales, title: "Year of manufacture"),
        FieldSpec("tradeIn.mileageKm", .integer, stage: .tradeIn, writers: buyerAndSales, title: "Mileage, km"),
        FieldSpec("tradeIn.appraisedValue", .rubles, stage: .tradeIn, writers: [.appraiser], required: true, title: "Appraised value"),
        FieldSpec("tradeIn.appraisedOn", .date, stage: .tradeIn, writers: [.appraiser], title: "Appraisal date"),
    ]

    private static let credit: [FieldSpec] = [
        FieldSpec("credit.amount", .rubles, stage: .credit, writers: [.buyer, .sales, .finance], required: true, title: "Credit amount"),
        FieldSpec("credit.termMonths", .integer, stage: .credit, writers: [.buyer, .sales, .finance], required: true, title: "Term, months"),
        FieldSpec("credit.downPayment", .rubles, stage: .credit, writers: [.buyer, .sales, .finance], required: true, title: "Down payment"),
        FieldSpec("credit.monthlyIncome", .rubles, stage: .credit, writers: [.buyer, .finance], title: "Monthly income"),
        FieldSpec("credit.employer", .text, stage: .credit, writers: [.buyer, .finance], title: "Employer"),
        FieldSpec(
            "credit.applications",
            .list(fields: [
                RecordField("bank", .text, title: "Bank"),
                RecordField("status", .enumeration(values: ["draft", "sent", "approved", "declined", "counterOffer"]), title: "Status"),
                RecordField("rate", .integer, title: "Rate, basis points (1290 = 12.90%)"),
                RecordField("approvedAmount", .rubles, title: "Approved amount"),
                RecordField("monthlyPayment", .rubles, title: "Monthly payment"),
            ]),
            stage: .credit, writers: [.finance, .integration], required: true, title: "Applications to banks"),
    ]

    private static let insurance: [FieldSpec] = [
        FieldSpec(
            "insurance.quotes",
            .list(fields: [
                RecordField("kind", .enumeration(values: ["osago", "kasko"]), title: "Policy"),
                RecordField("insurer", .text, title: "Insurer"),
                RecordField("premium", .rubles, title: "Premium"),
                RecordField("status", .enumeration(values: ["offered", "accepted", "declined"]), title: "Status"),
            ]),
            stage: .insurance, writers: [.finance, .integration], required: true, title: "OSAGO and KASKO quotes"),
        FieldSpec(
            "insurance.drivers",
            .list(fields: [
                RecordField("fullName", .text, title: "Full name"), RecordField("birthDate", .date, title: "Birth date"),
                RecordField("licenseNumber", .text, title: "License number"),
                RecordField("licensedSince", .date, title: "Licensed since"),
            ]),
            stage: .insurance, writers: [.buyer, .sales, .finance], required: true, title: "Drivers"),
    ]

    private static let benefits: [FieldSpec] = [
        FieldSpec(
            "benefits.discounts",
            .list(fields: [RecordField("title", .text, title: "Discount"), RecordField("amount", .rubles, title: "Amount")]),
            stage: .benefits, writers: [.sales, .head], title: "Discounts"),
        FieldSpec("benefits.promoCode", .text, stage: .benefits, writers: buyerAndSales, title: "Promo code"),
    ]

    private static let payment: [FieldSpec] = [
        FieldSpec("payment.method", .enumeration(values: ["card", "cash", "bankTransfer", "credit"]), stage: .payment,
            writers: [.buyer, .sales, .cashier], required: true, title: "Payment method"),
        FieldSpec("payment.booking", .boolean, stage: .payment, writers: [.buyer, .sales], title: "Car booked"),
        FieldSpec("payment.prepaymentAmount", .rubles, stage: .payment, writers: [.sales, .cashier], required: true, title: "Prepayment"),
        FieldSpec("payment.status", .enumeration(values: ["none", "pending", "captured", "failed", "refunded"]), stage: .payment,
            writers: [.cashier, .integration], required: true, title: "Payment status"),
        FieldSpec("payment.reference", .text, stage: .payment, writers: [.cashier, .integration], title: "Payment reference"),
    ]

    private static let delivery: [FieldSpec] = [
        FieldSpec("delivery.method", .enumeration(values: ["pickup", "home"]), stage: .delivery, writers: buyerAndSales,
            required: true, title: "Pickup or home delivery"),
        FieldSpec("delivery.date", .date, stage: .delivery, writers: buyerAndSales, required: true, title: "Delivery date"),
        FieldSpec("delivery.address", .text, stage: .delivery, writers: buyerAndSales, title: "Delivery address"),
    ]

    private static let documents: [FieldSpec] = [
        FieldSpec(
            "documents.items",
            .list(fields: [
                RecordField("kind", .enumeration(values: [
                    "passport", "driverLicense", "contract", "invoice", "creditAgreement", "insurancePolicy", "other",
                ]), title: "Kind"),
                RecordField("title", .text, title: "Title"), RecordField("reference", .text, title: "Reference"),
            ]),
            stage: .documents, writers: [.buyer, .sales, .finance, .cashier, .integration], required: true, title: "Documents"),
    ]

    private static let conversation: [FieldSpec] = [
        FieldSpec(
            "conversation.messages",
            .list(fields: [RecordField("text", .text, title: "Message"), RecordField("author", .text, title: "Author")]),
            stage: .conversation, writers: Set(Role.allCases), title: "Messages"),
    ]

    private static let status: [FieldSpec] = [
        FieldSpec("status.state", .enumeration(values: ["lead", "active", "onHold", "won", "lost", "cancelled"]), stage: .status,
            writers: [.sales, .head, .integration], required: true, title: "Deal status"),
        FieldSpec("status.lostReason", .text, stage: .status, writers: [.sales, .head], title: "Reason the deal was lost"),
        FieldSpec("status.assignedManager", .text, stage: .status, writers: [.head, .integration], title: "Assigned manager"),
        FieldSpec("status.crmId", .text, stage: .status, writers: [.integration], title: "CRM id"),
        FieldSpec("status.dmsOrderNumber", .text, stage: .status, writers: [.integration], title: "DMS order number"),
    ]

    private static let staff: [FieldSpec] = [
        FieldSpec(
            "staff.benefitsMenu",
            .list(fields: [RecordField("title", .text, title: "Benefit"), RecordField("amount", .rubles, title: "Amount"),
                RecordField("condition", .text, title: "Condition")]),
            stage: .benefits, writers: [.sales, .head], title: "Staff benefits menu"),
        FieldSpec("staff.discountApproved", .boolean, stage: .benefits, writers: [.head], title: "Discount approved by head"),
        FieldSpec("staff.margin", .rubles, stage: .assessment, writers: [.sales, .head], title: "Margin"),
        FieldSpec("staff.scoring", .integer, stage: .assessment, writers: [.finance, .head], title: "Credit scoring"),
        FieldSpec("staff.notes", .text(collaborative: true), stage: .assessment, writers: staffPeople, title: "Internal notes"),
    ]
}
