import Foundation
@testable import HTTP1
@testable import SyncProtocol

/// An upstream relay that answers every sync with `answer` (and `whoami` with a head of
/// north), to see what a showroom relay does with answers a real relay would not give.
final class FakeUpstream: Sendable {
    private let server: HTTPServer
    let url: String

    init(answer: SyncResponse) throws {
        let whoami = try JSONEncoder().encode(WhoAmI(user: "group", role: .head, dealership: "north", device: nil, deal: nil))
        let sync = try JSONEncoder().encode(answer)
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.tickInterval = .milliseconds(20)
        server = try HTTPServer(configuration: configuration) { request in
            request.path == "/v1/whoami" ? .json([UInt8](whoami)) : .json([UInt8](sync))
        }
        url = "http://127.0.0.1:\(try server.start())"
    }

    func stop() async {
        let server = self.server
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                server.shutdown(gracePeriod: .seconds(1))
                continuation.resume()
            }
        }
    }
}
