extension FieldValue {
    /// The space placed between groups of thousands and before the currency sign.
    ///
    /// A no-break space (U+00A0), as Russian typography and CLDR's `ru` locale use:
    /// an amount never breaks across lines, and unlike the narrow no-break space
    /// (U+202F) it is present in every kiosk and terminal font. Parsing accepts both,
    /// and a plain space.
    public static let moneySpace: Character = "\u{00A0}"

    /// Formats an amount for people: `2 330 000 ₽`, `2 330 000,50 ₽`, `1 500 USD`.
    ///
    /// Digits are grouped by threes with ``moneySpace`` (or `space` if given — pass
    /// `" "` for logs and tests that want plain ASCII). The fraction is shown only when
    /// it is not zero, after a comma, with all of the currency's minor digits.
    /// Roubles end with `₽`; every other currency with its code. Negative amounts
    /// start with `-`.
    public static func formatMoney(minorUnits: Int64, currency: String, space: Character = moneySpace) -> String {
        let scale = UInt64(Currency.scale(for: currency))
        let magnitude = minorUnits.magnitude
        let whole = String(magnitude / scale)
        let fraction = magnitude % scale
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped.append(space) }
            grouped.append(digit)
        }
        if fraction != 0 {
            let digits = String(fraction)
            let width = Currency.minorDigits(for: currency)
            grouped += "," + String(repeating: "0", count: width - digits.count) + digits
        }
        let sign = minorUnits < 0 ? "-" : ""
        return sign + grouped + String(space) + (Currency.symbol(for: currency) ?? currency)
    }
}
