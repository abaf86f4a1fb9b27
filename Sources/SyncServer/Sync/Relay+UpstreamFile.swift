import Foundation
import SyncProtocol

extension Relay {
    /// The file in which builds before the `upstream_position` table kept the positions.
    static let legacyUpstreamFileName = "upstream.json"

    /// Moves the positions an older build kept in `upstream.json` into the store (for the
    /// upstream at `upstream`, the one it was configured with), then removes the file, so an
    /// upgraded showroom relay goes on where it was instead of syncing from the start.
    ///
    /// A store that already holds a position for `upstream` keeps it (the file is then a
    /// leftover of an earlier move cut short). A file that cannot be read as positions is
    /// removed with a log line: as before, that only means sending and receiving changes
    /// again, which both sides ignore as duplicates. When the store cannot be written the
    /// file stays, for the next start.
    func adoptLegacyUpstreamFile(in dataDirectory: String, upstream: String, log: RelayLog) {
        let path = dataDirectory + "/" + Relay.legacyUpstreamFileName
        guard !isClosed, let data = FileManager.default.contents(atPath: path) else { return }
        do {
            if try storage.upstreamPosition(upstream: upstream) == nil {
                if let legacy = try? JSONDecoder().decode(LegacyUpstreamState.self, from: data), legacy.pushedThrough >= 0, legacy.pullCursor >= 0 {
                    try storage.saveUpstreamPosition(UpstreamPosition(pushedThrough: LogPosition(legacy.pushedThrough), cursor: LogPosition(legacy.pullCursor)),
                                                     upstream: upstream)
                    log.log("upstream_state_moved", [
                        "path": .string(path), "upstream": .string(upstream),
                        "pushedThrough": .integer(legacy.pushedThrough), "cursor": .integer(legacy.pullCursor),
                    ])
                } else {
                    log.log("upstream_state_unreadable", [
                        "path": .string(path),
                        "error": .string("not the positions of an older sync-server; syncing with upstream from the start (duplicates are ignored)"),
                    ])
                }
            }
            try FileManager.default.removeItem(atPath: path)
        } catch {
            log.log("upstream_state_not_moved", [
                "path": .string(path),
                "error": .string("\(error); the file is kept and moved on the next start"),
            ])
        }
    }
}

/// The contents of `upstream.json` as builds before the `upstream_position` table wrote it.
private struct LegacyUpstreamState: Decodable {
    var pushedThrough: Int64
    var pullCursor: Int64
}
