/// Currency codes and their minor units, as used by money fields.
///
/// Amounts are kept as an integer count of minor units so arithmetic and merges are
/// exact. The number of minor digits follows ISO 4217 for the few currencies that
/// differ from the usual two; every other code is assumed to have two.
public enum Currency {
    /// The currency of a money field that does not name one.
    public static let defaultCode = "RUB"

    /// Digits after the decimal separator for `code` (2 for RUB, 0 for JPY, 3 for KWD).
    public static func minorDigits(for code: String) -> Int {
        switch code {
        case "JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG": 0
        case "KWD", "BHD", "OMR", "JOD", "TND", "IQD", "LYD": 3
        default: 2
        }
    }

    /// The symbol written after a formatted amount instead of the code, if any.
    ///
    /// Only the rouble has one here: other currencies are shown with their code,
    /// which cannot be mistaken on a receipt.
    public static func symbol(for code: String) -> String? {
        code == "RUB" ? "₽" : nil
    }

    /// Whether `code` is three ASCII capital letters, the shape of an ISO 4217 code.
    public static func isValidCode(_ code: String) -> Bool {
        code.utf8.count == 3 && code.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    /// `10` raised to the currency's minor digits: minor units per major unit.
    static func scale(for code: String) -> Int64 {
        var scale: Int64 = 1
        for _ in 0..<minorDigits(for: code) { scale *= 10 }
        return scale
    }
}
