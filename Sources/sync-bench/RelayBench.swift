import Foundation
import SQLiteKit
import SyncCore
import SyncServer

/// `sync-bench relay`: a real relay on a loopback port, with its data in a temporary folder;
/// then the idle-connection, sync-throughput and fan-out measurements, and the relay's store
/// on disk against a device's (`relay.store_bytes`). `connections` 0 skips the first, no
/// `watchers` the last.
///
/// The relay runs in this process (the idle-connection and fan-out figures read its own
/// metrics and memory), but with `seedDirect`, which is for scale (100,000 deals): then it is a
/// `sync-server serve` child (``RelayProcess``) whose memory is reported, and the first
/// sync's deals are made here and pushed to it (see
/// ``benchRelaySync(relayURL:relayFolder:folder:deals:devices:editsPerDeal:firstSyncs:seedDirect:relayProcess:)``);
/// after the figures it is started again on the same store, to show what a relay holding
/// those deals costs from its start.
func benchRelay(connections: Int, deals: Int, devices: Int, editsPerDeal: Int, firstSyncs: Int, watchers: [Int], seedDirect: Bool) async throws {
    let folder = try BenchFolder("relay")
    defer { folder.remove() }
    let relayFolder = folder.sub("relay")
    if seedDirect {
        guard connections == 0, watchers.isEmpty else {
            throw BenchError("--seed-direct runs the relay as a sync-server child process, but --connections and --watchers measure a relay in this process; pass --connections 0 --watchers 0")
        }
        let relay = try await RelayProcess(dataDirectory: relayFolder)
        do {
            try await benchRelaySync(relayURL: relay.url, relayFolder: relayFolder, folder: folder, deals: deals, devices: devices,
                                     editsPerDeal: editsPerDeal, firstSyncs: firstSyncs, seedDirect: true, relayProcess: relay)
        } catch {
            _ = await relay.stop()
            throw error
        }
        let status = await relay.stop()
        guard status == 0 else { throw BenchError("the sync-server child exited with status \(status)") }
        try reportStoreFootprint(relayFolder: relayFolder, deviceFolder: folder.sub("device-fresh0"))
        try await measureRestartedRelay(relayFolder: relayFolder, deals: deals + 1)
        try await measureCompaction(relayFolder: relayFolder, deviceFolder: folder.sub("device-fresh0"))
        return
    }
    let server = try RelayServer(configuration: .init(dataDirectory: relayFolder, port: 0), log: .discarding)
    let url = try server.start()
    guard let port = URL(string: url)?.port else { throw BenchError("the relay reported no port in \(url)") }
    do {
        if connections > 0 { try await benchIdleConnections(relayURL: url, port: port, count: connections) }
        try await benchRelaySync(relayURL: url, relayFolder: relayFolder, folder: folder, deals: deals, devices: devices,
                                 editsPerDeal: editsPerDeal, firstSyncs: firstSyncs, seedDirect: false, relayProcess: nil)
        if !watchers.isEmpty {
            try await benchFanOut(relayURL: url, port: port, relayFolder: relayFolder, folder: folder, metrics: server.relay.metrics,
                                  watcherCounts: watchers)
        }
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
    try reportStoreFootprint(relayFolder: relayFolder, deviceFolder: folder.sub("device-fresh0"))
}

/// The relay's store and the first fresh device's (which holds every deal of the first
/// dealership after its first sync), both closed, checkpointed and measured: bytes per deal
/// and per change, with the largest tables and indexes.
private func reportStoreFootprint(relayFolder: String, deviceFolder: String) throws {
    let relayPath = relayFolder + "/" + SQLiteRelayStorage.fileName
    let devicePath = DeviceStore.databasePath(in: deviceFolder)
    let relay = try StoreFootprint(path: relayPath)
    let device = try StoreFootprint(path: devicePath)
    let relayDeals = try StoreFootprint.count("SELECT count(*) FROM deal", in: relayPath)
    let relayChanges = try StoreFootprint.count("SELECT count(*) FROM change_log", in: relayPath)
    let deviceDeals = try StoreFootprint.count("SELECT count(*) FROM deals", in: devicePath)
    // The changes the device's deals were made of (it holds the first dealership's deals of
    // its first sync; the fan-out deal came later).
    let deviceDealsChanges = try StoreFootprint.count(
        "SELECT count(*) FROM change_log WHERE dealership = 'north' AND deal_id IN (SELECT id FROM device.deals)", in: relayPath,
        attaching: devicePath, as: "device")
    let blobBytes = try StoreFootprint.count("SELECT coalesce(SUM(length(blob)), 0) FROM change_log", in: relayPath)
    let relayPerDeal = Double(relay.bytes) / Double(max(relayDeals, 1))
    let devicePerDeal = Double(device.bytes) / Double(max(deviceDeals, 1))
    report([
        "bench": "relay.store_bytes",
        "relay_bytes": relay.bytes, "relay_free_bytes": relay.freeBytes, "relay_deals": relayDeals, "relay_changes": relayChanges,
        "relay_bytes_per_deal": round2(relayPerDeal), "relay_bytes_per_change": round2(Double(relay.bytes) / Double(max(relayChanges, 1))),
        "relay_change_blob_bytes_per_change": round2(Double(blobBytes) / Double(max(relayChanges, 1))),
        "relay_largest_kib": relay.largest(),
        "device_bytes": device.bytes, "device_free_bytes": device.freeBytes, "device_deals": deviceDeals,
        "device_deals_changes": deviceDealsChanges,
        "device_bytes_per_deal": round2(devicePerDeal), "device_bytes_per_change": round2(Double(device.bytes) / Double(max(deviceDealsChanges, 1))),
        "device_largest_kib": device.largest(),
        "relay_vs_device_per_deal": ratio(relayPerDeal, devicePerDeal),
        "note": "database + WAL after PRAGMA wal_checkpoint(TRUNCATE), both stores closed; the device is the first fresh device after its first sync; largest: tables and indexes of at least 2% (dbstat)",
    ])
}

/// `sync-server compact` of everything on the stopped relay's store (as the command does it,
/// from another process's point of view: the store alone), then the store vacuumed and
/// measured against the device's.
private func measureCompaction(relayFolder: String, deviceFolder: String) async throws {
    let relayPath = relayFolder + "/" + SQLiteRelayStorage.fileName
    let before = try StoreFootprint(path: relayPath)
    let deals = try StoreFootprint.count("SELECT count(*) FROM deal", in: relayPath)
    var result: CompactionReport?
    let ms = try await milliseconds {
        result = try await CompactionCommand.run(dataDirectory: relayFolder, receivedBefore: Date().addingTimeInterval(60))
    }
    guard let compaction = result else { throw BenchError("compaction reported nothing") }
    let database = try SQLiteDatabase(path: relayPath, options: .init(create: false))
    try database.execute("VACUUM")
    database.close()
    let after = try StoreFootprint(path: relayPath)
    let device = try StoreFootprint(path: DeviceStore.databasePath(in: deviceFolder))
    let deviceDeals = try StoreFootprint.count("SELECT count(*) FROM deals", in: DeviceStore.databasePath(in: deviceFolder))
    let perDeal = Double(after.bytes) / Double(max(deals, 1))
    let devicePerDeal = Double(device.bytes) / Double(max(deviceDeals, 1))
    report([
        "bench": "relay.compaction", "deals": deals, "documents": compaction.documents, "entries_removed": compaction.entriesRemoved,
        "ms": round2(ms), "document_bytes_before": compaction.bytesBefore, "document_bytes_after": compaction.bytesAfter,
        "store_bytes_before": before.bytes, "store_bytes_after": after.bytes,
        "store_bytes_per_deal_before": round2(Double(before.bytes) / Double(max(deals, 1))), "store_bytes_per_deal_after": round2(perDeal),
        "device_bytes_per_deal": round2(devicePerDeal), "relay_vs_device_per_deal_after": ratio(perDeal, devicePerDeal),
        "relay_largest_kib_after": after.largest(),
        "note": "sync-server compact of every entry (CompactionCommand), then VACUUM; document bytes: log entries and base snapshots of the compacted documents, before and after",
    ])
}

/// A relay started again on the store the suite filled: its memory once it listens and
/// after `GET /v1/analytics`.
private func measureRestartedRelay(relayFolder: String, deals: Int) async throws {
    let relay = try await RelayProcess(dataDirectory: relayFolder)
    do {
        let started = relay.memory
        let analytics = try await fetchAnalytics(relayURL: relay.url, relayFolder: relayFolder)
        let analysed = relay.memory
        var fields: [String: Any] = [
            "bench": "relay.memory.restart", "deals_on_relay": deals, "analytics_ms": round2(analytics.ms), "target_mib": 256,
            "note": "the same store opened by a new sync-server child: what holding the deals costs from a start",
        ]
        fields.merge(started.fields("started")) { $1 }
        fields.merge(analysed.fields("analytics")) { $1 }
        report(fields)
    } catch {
        _ = await relay.stop()
        throw error
    }
    _ = await relay.stop()
}
