import Foundation
import DealCardKit
import SyncCore
import SyncProtocol

/// Sync throughput through a real relay on loopback, in three steps:
///
/// 1. One sales device creates `deals` deals offline (two documents each) and
///    `editsPerDeal` price edits per deal, then pushes its outbox alone: the baseline.
/// 2. `devices` devices, each in a dealership of its own, create the same amount of work
///    between them and push at the same time; their rate is reported against the baseline.
/// 3. `firstSyncs` fresh devices of the first dealership make their first sync, one after
///    the other: snapshots of every deal. The figure is the median of their times (one run
///    on a shared machine is noise), with the fastest and the slowest beside it.
///
/// Every push round also pulls what is new after the device's cursor, as every sync does.
/// Separate dealerships keep that pull to the device's own changes coming back (which it
/// skips as duplicates), so the rates measure the relay taking changes rather than devices
/// applying each other's.
func benchRelaySync(relayURL: String, relayFolder: String, folder: BenchFolder, deals: Int, devices: Int, editsPerDeal: Int,
                    firstSyncs: Int) async throws {
    let seed = try BenchDevice(name: "seed", dealership: "north", relayURL: relayURL, relayFolder: relayFolder, folder: folder)
    var fleet: [BenchDevice] = []
    for index in 0..<devices {
        fleet.append(try BenchDevice(name: "sales\(index)", dealership: "east\(index)", relayURL: relayURL, relayFolder: relayFolder, folder: folder))
    }
    // Warm-up: each device gets a cursor, so the measured pushes are ordinary rounds rather
    // than first syncs (which answer with snapshots).
    for (index, device) in ([seed] + fleet).enumerated() {
        try await device.store.createDeal(id: DealID("warmup-\(index)")!, values: DealFixture.values(index))
        try await device.session.sync()
    }

    let seedWriteMs = try await milliseconds { try await writeDeals(on: seed, prefix: "north", indexes: Array(0..<deals), editsPerDeal: editsPerDeal) }
    let seedChanges = try await seed.store.outboxCount()
    let fleetWriteMs = try await milliseconds {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (number, device) in fleet.enumerated() {
                group.addTask {
                    try await writeDeals(on: device, prefix: "east", indexes: Array(stride(from: number, to: deals, by: devices)), editsPerDeal: editsPerDeal)
                }
            }
            try await group.waitForAll()
        }
    }
    var fleetChanges = 0
    for device in fleet { fleetChanges += try await device.store.outboxCount() }
    report(["bench": "relay.sync.device_writes", "deals": deals, "edits_per_deal": editsPerDeal,
            "one_device_changes": seedChanges, "one_device_ms": round2(seedWriteMs),
            "one_device_per_change_us": round2(seedWriteMs * 1_000 / Double(max(seedChanges, 1))),
            "concurrent_devices": devices, "concurrent_changes": fleetChanges, "concurrent_ms": round2(fleetWriteMs),
            "concurrent_vs_one_device": ratio(seedWriteMs, fleetWriteMs),
            "note": "offline writes on device stores, each committed with synchronous=FULL; concurrent_vs_one_device is a speed-up"])

    let single = try await pushAll([seed])
    let concurrent = try await pushAll(fleet)
    report(["bench": "relay.sync.push", "changes_per_deal": 2 + editsPerDeal,
            "one_device_accepted": single.report.accepted, "one_device_ms": round2(single.ms),
            "one_device_changes_per_s": round2(single.changesPerSecond), "one_device_rounds": single.report.rounds,
            "one_device_refused": single.report.refused.count,
            "concurrent_devices": devices, "concurrent_accepted": concurrent.report.accepted, "concurrent_ms": round2(concurrent.ms),
            "concurrent_changes_per_s": round2(concurrent.changesPerSecond), "concurrent_rounds": concurrent.report.rounds,
            "concurrent_refused": concurrent.report.refused.count,
            "concurrent_vs_one_device": ratio(concurrent.changesPerSecond, single.changesPerSecond),
            "note": "a round pushes up to 500 changes (SyncSession.pushBatch) and pulls the device's own back"])

    var freshDevices: [BenchDevice] = []
    var times: [Double] = []
    var firstSync = SyncReport()
    var listed = 0
    var matches = true
    let sample = DealFixture.id(deals / 2, prefix: "north")
    for run in 0..<firstSyncs {
        let fresh = try BenchDevice(name: "fresh\(run)", dealership: "north", relayURL: relayURL, relayFolder: relayFolder, folder: folder)
        freshDevices.append(fresh)
        times.append(try await milliseconds { firstSync = try await fresh.session.sync() })
        listed = try await fresh.store.deals().count
        let same = try await seed.store.card(sample) == fresh.store.card(sample)
        matches = matches && same
    }
    let sorted = times.sorted()
    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    report(["bench": "relay.sync.first_sync", "deals_on_relay": deals + 1, "deals_listed": listed, "snapshots": firstSync.snapshots,
            "rounds": firstSync.rounds, "runs": firstSyncs, "ms": round2(median), "ms_min": round2(sorted[0]),
            "ms_max": round2(sorted[sorted.count - 1]), "per_deal_ms": round2(median / Double(max(listed, 1))),
            "first_sync_vs_push": ratio(median, single.ms), "sample_card_matches": matches,
            "note": "ms is the median of the runs (fresh devices one after the other); snapshots come in pages, the device commits each answer in one transaction (synchronous=FULL)"])

    for device in [seed] + freshDevices + fleet { await device.store.close() }
    report(["bench": "relay.sync.summary", "rss_mib": residentMiB(), "peak_rss_mib": peakResidentMiB(),
            "relay_store_bytes": bytesOnDisk(in: relayFolder, prefix: "relay.sqlite"),
            "note": "the relay and the devices share this process: RSS covers both"])
}

/// Creates the deals `indexes` on `device` and makes `editsPerDeal` price edits on each.
private func writeDeals(on device: BenchDevice, prefix: String, indexes: [Int], editsPerDeal: Int) async throws {
    for index in indexes {
        let deal = DealFixture.id(index, prefix: prefix)
        try await device.store.createDeal(id: deal, values: DealFixture.values(index))
        for edit in 0..<editsPerDeal {
            let (path, value) = DealFixture.edit(index * editsPerDeal + edit)
            try await device.store.set(deal, path, value)
        }
    }
}

/// Syncs every device at once until each outbox is empty; the summed report and the rate
/// of accepted changes.
private func pushAll(_ devices: [BenchDevice]) async throws -> (report: SyncReport, ms: Double, changesPerSecond: Double) {
    var total = SyncReport()
    let ms = try await milliseconds {
        let reports = try await withThrowingTaskGroup(of: SyncReport.self) { group in
            for device in devices { group.addTask { try await device.session.sync() } }
            return try await group.reduce(into: [SyncReport]()) { $0.append($1) }
        }
        for part in reports {
            total.accepted += part.accepted
            total.pushed += part.pushed
            total.received += part.received
            total.rounds += part.rounds
            total.refused += part.refused
        }
    }
    return (total, ms, Double(total.accepted) / (ms / 1_000))
}
