import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a command's output goes and how it may be styled.
///
/// Output is written unbuffered with `write(2)`, so what a command printed has left the
/// process when the call returns (the crash test relies on it) and stdout and stderr
/// interleave in order.
struct Terminal: Sendable {
    /// Whether ANSI styles are used: only when standard output is a terminal and
    /// `NO_COLOR` is unset or empty (https://no-color.org).
    let usesColor: Bool

    /// The terminal of this process.
    static func current() -> Terminal {
        let noColor = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return Terminal(usesColor: isatty(1) == 1 && !noColor)
    }

    /// Text styles, as SGR parameters.
    enum Style: String {
        case bold = "1", dim = "2", red = "31", green = "32", yellow = "33", cyan = "36", boldRed = "1;31", boldYellow = "1;33"
    }

    /// `text` in `style` when colour is on, else `text` unchanged.
    func paint(_ text: String, _ style: Style) -> String {
        usesColor && !text.isEmpty ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }

    /// Writes `text` to standard output.
    func write(_ text: String) { Terminal.writeAll(text, to: 1) }

    /// Writes `text` to standard error.
    func writeError(_ text: String) { Terminal.writeAll(text, to: 2) }

    /// Writes every byte, retrying short writes and interrupted calls.
    static func writeAll(_ text: String, to descriptor: Int32) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(descriptor, buffer.baseAddress, buffer.count)
                #else
                Darwin.write(descriptor, buffer.baseAddress, buffer.count)
                #endif
            }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

/// Pads `text` with spaces to `width` characters (grapheme clusters), for aligned columns.
func padded(_ text: String, to width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
