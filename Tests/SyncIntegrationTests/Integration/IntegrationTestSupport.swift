import CRDT
@testable import CanonicalJSON
@testable import DealCardKit
@testable import HTTP1
@testable import RelayClient
@testable import SyncCore
@testable import SyncServer
import Foundation

/// One answer from the relay, as the integration tests look at it.
struct IntegrationHTTPAnswer {
    var status: Int
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: SchemaJSON? { try? SchemaJSON(parsing: body) }

    /// The member at a dotted path of the JSON body (`change.seq`).
    func value(_ path: String) -> SchemaJSON? {
        var current = json
        for key in path.split(separator: ".") {
            guard case .object(let members)? = current else { return nil }
            current = members[String(key)]
        }
        return current
    }

    /// The error code of an error body.
    var errorCode: String? { value("error.code")?.stringValue }
    var errorMessage: String { value("error.message")?.stringValue ?? text }
}

extension SyncHarness {
    /// Sends one request to the relay with `token` and returns the raw answer.
    func request(_ method: String, _ path: String, token: String, body: String = "", headers: [String: String] = [:]) async throws
        -> IntegrationHTTPAnswer {
        var all = headers
        all["Authorization"] = "Bearer \(token)"
        if !body.isEmpty { all["Content-Type"] = "application/json" }
        let answer = try await SocketHTTPClient().send(method: method, url: URL(string: url + path)!, headers: all,
                                                       body: Array(body.utf8), timeout: 15)
        return IntegrationHTTPAnswer(status: answer.status, body: answer.body)
    }

    /// An integration write with an idempotency key.
    func integrationPost(_ path: String, token: String, key: String? = UUID().uuidString, _ body: String) async throws
        -> IntegrationHTTPAnswer {
        try await request("POST", path, token: token, body: body, headers: key.map { ["Idempotency-Key": $0] } ?? [:])
    }

    /// A device whose clock reads `clock()` (to make changes that look old).
    func device(_ user: String, _ role: Role, channel: Channel, clock: @escaping @Sendable () -> Int64) throws -> TestDevice {
        let deviceID = "\(user)-\(channel.rawValue)"
        let token = try token(user, role, device: deviceID)
        let identity = DeviceIdentity(user: user, role: role, dealership: "north", device: deviceID, channel: channel,
                                      server: url, token: token)
        let store = try DeviceStore(creatingAt: folder.sub("device-\(deviceID)-\(UUID().uuidString.prefix(6))"), identity: identity,
                                    clock: clock)
        return TestDevice(store: store, session: SyncSession(store: store, connection: RelayConnection(baseURL: URL(string: url)!, token: token)))
    }

    /// How many changes the relay's log holds for a deal (both documents).
    func loggedChanges(_ deal: String, dealership: String = "north") async throws -> Int {
        try await server.relay.loggedChangeCount(deal: deal, dealership: dealership)
    }
}

extension Relay {
    func loggedChangeCount(deal: String, dealership: String = "north") throws -> Int {
        try DealDocumentKind.allCases.reduce(0) { $0 + (try storage.changes(dealership: dealership, deal: deal, document: $1).count) }
    }
}
