import DealCardKit
import SyncCore

/// The deals the store and relay benchmarks create: a handful of realistic fields a sales
/// manager fills in when a deal opens, varied by index so no two cards are alike.
enum DealFixture {
    static let models = ["Vesta", "Granta", "Niva Travel", "Largus", "XRAY Cross", "Iskra"]
    static let trims = ["Comfort", "Life", "Enjoy", "Techno", "Prestige"]
    static let colors = ["white", "silver", "graphite", "blue", "red", "black"]

    /// The id of deal `index`: the same in every run, so runs are comparable. Deal ids are
    /// global on a relay, so each dealership's deals take their own `prefix`.
    static func id(_ index: Int, prefix: String = "bench") -> DealID { DealID("\(prefix)-\(index)")! }

    /// Seven shared fields and one staff field (so a new deal writes two documents).
    static func values(_ index: Int) -> [String: FieldValue] {
        [
            "vehicle.model": .text(models[index % models.count]),
            "vehicle.trim": .text(trims[index % trims.count]),
            "vehicle.color": .text(colors[index % colors.count]),
            "vehicle.price": .money(minorUnits: Int64(1_500_000 + (index % 900) * 1_000) * 100, currency: "RUB"),
            "payment.method": .enumCase(index % 3 == 0 ? "credit" : "card"),
            "delivery.method": .enumCase(index % 4 == 0 ? "home" : "pickup"),
            "status.state": .enumCase("lead"),
            "staff.margin": .money(minorUnits: Int64(40_000 + index % 500 * 100) * 100, currency: "RUB"),
        ]
    }

    /// The identity of a sales manager's device (the role that may write all the fields above).
    static func salesIdentity(user: String, device: String, dealership: String = "north", server: String? = nil,
                              token: String? = nil) -> DeviceIdentity {
        DeviceIdentity(user: user, role: .sales, dealership: dealership, device: device, channel: .pc, server: server, token: token)
    }

    /// The values deal `index` shows after ``values(_:)`` and its `editsPerDeal` edits.
    static func expectedValues(_ index: Int, editsPerDeal: Int) -> [String: FieldValue] {
        var expected = values(index)
        if editsPerDeal > 0 {
            let last = edit(index * editsPerDeal + editsPerDeal - 1)
            expected[last.path] = last.value
        }
        return expected
    }

    /// Edit `number` of a deal: a new price (what a sales manager changes most often).
    static func edit(_ number: Int) -> (path: String, value: FieldValue) {
        ("vehicle.price", .money(minorUnits: Int64(1_600_000 + number % 1_000 * 500) * 100, currency: "RUB"))
    }
}
