import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Colour on a real terminal: styled output on a pseudo-terminal, none once `NO_COLOR` is set.
@Suite("sync-client terminal")
struct CLIClientTerminalTests {
    #if canImport(Glibc)
    /// `TIOCSPTLCK` and `TIOCGPTN` (asm-generic ioctls, the same on x86_64 and arm64),
    /// which the Glibc module does not export.
    static let unlockRequest: UInt = 0x4004_5431
    static let numberRequest: UInt = 0x8004_5430

    /// Runs the client with stdout on a new pseudo-terminal and returns what it printed.
    func runOnTerminal(_ folder: CLIClientFolder, _ arguments: [String], environment: [String: String]) async throws -> String {
        // posix_openpt and friends are not exported by the Glibc module: the Linux ioctls instead.
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, CLIClientTerminalTests.unlockRequest, &unlock) == 0, ioctl(master, CLIClientTerminalTests.numberRequest, &number) == 0 else {
            throw ChildProcess.Failure("no pseudo-terminal available")
        }
        defer { close(master) }
        let slave = open("/dev/pts/\(number)", O_WRONLY | O_NOCTTY)
        guard slave >= 0 else { throw ChildProcess.Failure("cannot open /dev/pts/\(number)") }
        let result: ChildProcess.Result
        do {
            defer { close(slave) }
            result = try await folder.start(arguments, environment: environment, standardOutput: slave).finish()
        }
        #expect(result.status == 0, "\(result)")
        _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func coloursOnlyOnATerminalWithoutNoColor() async throws {
        let folder = try CLIClientFolder()
        let store = try await folder.initStore("olga", user: "olga", role: .sales, channel: .pc)
        let deal = try await folder.succeed(["deal", "new", "--set", "vehicle.model=Camry", "--store", store]).trimmingCharacters(in: .newlines)
        let coloured = try await runOnTerminal(folder, ["deal", "show", deal, "--store", store], environment: [:])
        #expect(coloured.contains("\u{1B}[1mDeal \(deal)\u{1B}[0m"), "\(coloured)")
        let plain = try await runOnTerminal(folder, ["deal", "show", deal, "--store", store], environment: ["NO_COLOR": "1"])
        #expect(plain.contains("Deal \(deal)"), "\(plain)")
        #expect(!plain.contains("\u{1B}"))
    }
    #endif
}
