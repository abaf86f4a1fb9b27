import CLIKit
import DealCardKit
import RelayClient
import SyncCore
import SyncProtocol
import Foundation

/// `sync-client init`: creates a device store.
func initCommand() -> Command {
    Command(
        name: "init",
        abstract: "Create a device store for one user, role and channel.",
        discussion: """
            The relay is asked who the token belongs to (user, role, dealership, device).
            When it is unreachable the device is still created, offline, from --user,
            --role and --dealership, and syncs later.
            """,
        examples: [
            Example("A buyer on a showroom kiosk",
                    "sync-client init --store ./kiosk --server http://relay:8080 --token T --channel kiosk --user anna --role buyer --dealership north"),
        ],
        options: [
            storeOption,
            .option("server", value: "url", help: "The relay's base URL (http or https).", isRequired: true),
            .option("token", help: "The bearer token the relay issued for this device.", isRequired: true),
            .option("channel", help: "Where this device is used.", isRequired: true,
                    allowedValues: Channel.allCases.map(\.rawValue)),
            .option("user", value: "name", help: "The user the token belongs to."),
            .option("role", help: "The user's role.", allowedValues: Role.allCases.map(\.rawValue)),
            .option("dealership", value: "id", help: "The dealership the token belongs to."),
            .option("device", value: "id", help: "A stable id for this device (default: a random one)."),
            .option("schema", value: "file", help: "The dealer group's schema file (default: the relay's, else the built-in one)."),
        ],
        run: { parsed in
            let folder = parsed.option("store")!
            let server = try relayURL(parsed.option("server")!)
            let token = parsed.option("token")!
            let channel = Channel(rawValue: parsed.option("channel")!)!
            let owner = try await resolveIdentity(
                server: server, token: token,
                user: parsed.option("user"), role: parsed.option("role").flatMap(Role.init(rawValue:)),
                dealership: parsed.option("dealership"))
            if let bound = owner.device, let given = parsed.option("device"), given != bound {
                throw ValidationError("'--device \(given)' disagrees with the relay: the token is bound to device \(bound)")
            }
            let device = owner.device ?? parsed.option("device") ?? randomDeviceID()
            let identity = DeviceIdentity(
                user: owner.user, role: owner.role, dealership: owner.dealership, device: device,
                channel: channel, server: server, token: token)
            let (schema, schemaSource) = try await deviceSchema(file: parsed.option("schema"), server: server, token: token)
            let store = try DeviceStore(creatingAt: folder, identity: identity, schema: schema)
            await store.close()
            Terminal.current().write("""
                Created device store \(folder)
                  user        \(identity.user) (\(identity.role.rawValue)) at dealership \(identity.dealership)
                  device      \(identity.device), channel \(identity.channel.rawValue)
                  relay       \(server)
                  schema      \(schema.name) (\(schemaSource))

                """)
        })
}

/// The schema a new device uses: the file given, else the relay's (`GET /v1/schema`), else
/// the built-in one when the relay is unreachable. Returns where it came from, for the user.
func deviceSchema(file: String?, server: String, token: String) async throws -> (DealSchema, String) {
    if let file {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read '--schema \(file)': no such file or not readable")
        }
        do {
            return (try DealSchema(extending: .standard, file: [UInt8](bytes)), "from \(file)")
        } catch {
            throw ValidationError("'--schema \(file)' is not a valid schema file: \(error)")
        }
    }
    guard let url = URL(string: server) else { return (.standard, "built in") }
    do {
        let bytes = try await RelayConnection(baseURL: url, token: token).getBytes("v1/schema", timeout: 3)
        return (try DealSchema(extending: .standard, file: bytes), "from the relay")
    } catch let error as SyncError where error.isTransient {
        return (.standard, "built in; the relay was unreachable")
    } catch SyncError.relay(404, _, _) {
        return (.standard, "built in; the relay serves none")
    }
}

/// Who a token belongs to: what the relay's `GET /v1/whoami` answers.
struct TokenOwner: Sendable, Equatable {
    var user: String
    var role: Role
    var dealership: String
    /// The device the token is bound to, if any: the device's changes must name it.
    var device: String?
}

/// Finds out the user, role and dealership a token belongs to.
///
/// Asks the relay (`GET /v1/whoami`, a few seconds at most); flags given as well must agree
/// with its answer. With the relay unreachable, `init` still works offline: the flags
/// `--user`, `--role` and `--dealership` say it, and a usage error names any that is missing.
///
/// - Throws: ``ValidationError`` when a flag is missing (relay unreachable) or disagrees
///   with the relay; ``SyncError`` when the relay refuses the token.
func resolveIdentity(server: String, token: String, user: String?, role: Role?, dealership: String?) async throws -> TokenOwner {
    if let url = URL(string: server) {
        do {
            let answer: WhoAmI = try await RelayConnection(baseURL: url, token: token).get("v1/whoami", timeout: 3)
            for (flag, given, actual) in [("--user", user, answer.user), ("--role", role?.rawValue, answer.role.rawValue),
                                          ("--dealership", dealership, answer.dealership)] {
                if let given, !given.isEmpty, given != actual {
                    throw ValidationError("'\(flag) \(given)' disagrees with the relay, which says the token belongs to \(actual)")
                }
            }
            return TokenOwner(user: answer.user, role: answer.role, dealership: answer.dealership, device: answer.device)
        } catch let error as SyncError where error.isTransient {
            // Offline: fall back to the flags below.
        }
    }
    var missing: [String] = []
    if user?.isEmpty ?? true { missing.append("--user <name>") }
    if role == nil { missing.append("--role <role>") }
    if dealership?.isEmpty ?? true { missing.append("--dealership <id>") }
    guard missing.isEmpty, let user, let role, let dealership else {
        throw ValidationError(
            "missing " + missing.map { "'\($0)'" }.joined(separator: ", ")
                + ": the relay is unreachable, so it cannot say who the token belongs to; give --user, --role and --dealership")
    }
    return TokenOwner(user: user, role: role, dealership: dealership, device: nil)
}

/// The relay URL, checked: http or https with a host.
/// - Throws: ``ValidationError`` naming `--server`.
func relayURL(_ text: String) throws(ValidationError) -> String {
    guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
          let host = url.host, !host.isEmpty
    else {
        throw ValidationError("invalid value '\(text)' for '--server <url>': expected an http:// or https:// URL such as http://relay:8080")
    }
    return text.hasSuffix("/") ? String(text.dropLast()) : text
}

/// A random device id such as `dev-k3m9x2qa`.
func randomDeviceID() -> String {
    let alphabet = Array("abcdefghjkmnpqrstuvwxyz23456789")
    var generator = SystemRandomNumberGenerator()
    return "dev-" + String((0..<8).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
}
