import Foundation
import DealCardKit
import RelayClient
import SyncCore
import SyncProtocol
import SyncServer

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
///
/// With `seedDirect`, steps 1 and 2 are left out: the deals of step 3 are made in this process
/// and pushed to the relay in large requests (``DirectSeeder``), which makes 100,000 deals a
/// matter of minutes rather than of an hour of device writes. Step 3 is the same either way;
/// after it, one `GET /v1/analytics`. The relay is then `relayProcess`, a child process, whose
/// memory is reported (`relay.memory`) as it starts, once the deals are in, after the first
/// syncs and after the analytics request.
func benchRelaySync(relayURL: String, relayFolder: String, folder: BenchFolder, deals: Int, devices: Int, editsPerDeal: Int,
                    firstSyncs: Int, seedDirect: Bool, relayProcess: RelayProcess?) async throws {
    let started = relayProcess?.memory
    let seed = try BenchDevice(name: "seed", dealership: "north", relayURL: relayURL, relayFolder: relayFolder, folder: folder)
    var fleet: [BenchDevice] = []
    for index in 0..<(seedDirect ? 0 : devices) {
        fleet.append(try BenchDevice(name: "sales\(index)", dealership: "east\(index)", relayURL: relayURL, relayFolder: relayFolder, folder: folder))
    }
    // Warm-up: each device gets a cursor, so the measured pushes are ordinary rounds rather
    // than first syncs (which answer with snapshots).
    for (index, device) in ([seed] + fleet).enumerated() {
        try await device.store.createDeal(id: DealID("warmup-\(index)")!, values: DealFixture.values(index))
        try await device.session.sync()
    }
    if seedDirect {
        let seeder = try DirectSeeder(relayURL: relayURL, relayFolder: relayFolder, dealership: "north")
        var accepted = 0
        let seedMs = try await milliseconds { accepted = try await seeder.seed(prefix: "north", indexes: 0..<deals, editsPerDeal: editsPerDeal) }
        report(["bench": "relay.sync.seed", "path": "direct", "deals": deals, "edits_per_deal": editsPerDeal, "accepted": accepted,
                "ms": round2(seedMs), "changes_per_s": round2(Double(accepted) / (seedMs / 1_000)),
                "note": "changes made in this process and pushed in POST /v1/sync requests of \(DirectSeeder.batch) (no device store)"])
        let seeded = relayProcess?.memory
        try await measureFirstSyncs(relayURL: relayURL, relayFolder: relayFolder, folder: folder, deals: deals, firstSyncs: firstSyncs,
                                    seedPath: "direct", pushMs: nil) { fresh, sample, index in
            // The fields never written show nothing, but for the empty texts of their containers.
            try await fresh.store.card(sample).values.filter { $0.value != .text("") } == DealFixture.expectedValues(index, editsPerDeal: editsPerDeal)
        }
        let synced = relayProcess?.memory
        let analytics = try await fetchAnalytics(relayURL: relayURL, relayFolder: relayFolder)
        await seed.store.close()
        guard let relayProcess, let started, let seeded, let synced else { return }
        let analysed = relayProcess.memory
        var fields: [String: Any] = [
            "bench": "relay.memory", "deals_on_relay": deals + 1, "changes_accepted": accepted, "first_syncs": firstSyncs,
            "analytics_ms": round2(analytics.ms), "analytics_bytes": analytics.bytes, "target_mib": 256,
            "under_target": max(started.peak, seeded.peak, synced.peak, analysed.peak) < 256,
            "note": "the sync-server child's /proc/PID/status: rss = VmRSS (anon + file pages mapped), peak = VmHWM since it started; every device and request is in the bench process",
        ]
        for (stage, memory) in [("started", started), ("seeded", seeded), ("first_synced", synced), ("analytics", analysed)] {
            fields.merge(memory.fields(stage)) { $1 }
        }
        report(fields)
        return
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

    try await measureFirstSyncs(relayURL: relayURL, relayFolder: relayFolder, folder: folder, deals: deals, firstSyncs: firstSyncs,
                                seedPath: "device", pushMs: single.ms) { fresh, sample, _ in
        try await seed.store.card(sample) == fresh.store.card(sample)
    }

    for device in [seed] + fleet { await device.store.close() }
    report(["bench": "relay.sync.summary", "rss_mib": residentMiB(), "peak_rss_mib": peakResidentMiB(),
            "relay_store_bytes": bytesOnDisk(in: relayFolder, prefix: "relay.sqlite"),
            "note": "the relay and the devices share this process: RSS covers both"])
}

/// Step 3: `firstSyncs` fresh devices of the first dealership make their first sync, one
/// after the other; `matches` compares one card (`DealFixture` index `deals / 2`) with what
/// was written.
private func measureFirstSyncs(relayURL: String, relayFolder: String, folder: BenchFolder, deals: Int, firstSyncs: Int, seedPath: String,
                               pushMs: Double?, matches: (BenchDevice, DealID, Int) async throws -> Bool) async throws {
    var freshDevices: [BenchDevice] = []
    var times: [Double] = []
    var firstSync = SyncReport()
    var listed = 0
    var matched = true
    let sample = DealFixture.id(deals / 2, prefix: "north")
    for run in 0..<firstSyncs {
        let fresh = try BenchDevice(name: "fresh\(run)", dealership: "north", relayURL: relayURL, relayFolder: relayFolder, folder: folder)
        freshDevices.append(fresh)
        times.append(try await milliseconds { firstSync = try await fresh.session.sync() })
        listed = try await fresh.store.deals().count
        let same = try await matches(fresh, sample, deals / 2)
        matched = matched && same
    }
    let sorted = times.sorted()
    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    var fields: [String: Any] = [
        "bench": "relay.sync.first_sync", "seed": seedPath, "deals_on_relay": deals + 1, "deals_listed": listed, "snapshots": firstSync.snapshots,
        "rounds": firstSync.rounds, "runs": firstSyncs, "ms": round2(median), "ms_min": round2(sorted[0]),
        "ms_max": round2(sorted[sorted.count - 1]), "ms_runs": times.map(round2), "per_deal_ms": round2(median / Double(max(listed, 1))),
        "sample_card_matches": matched,
        "note": "ms is the median of the runs (fresh devices one after the other); snapshots come in pages, the device commits each answer in one transaction (synchronous=FULL)",
    ]
    if let pushMs { fields["first_sync_vs_push"] = ratio(median, pushMs) }
    report(fields)
    for device in freshDevices { await device.store.close() }
    try await measureWireFirstSyncs(relayURL: relayURL, relayFolder: relayFolder, runs: firstSyncs, deviceMs: median)
}

/// One `GET /v1/analytics` by a head of sales of the first dealership: its time and size.
func fetchAnalytics(relayURL: String, relayFolder: String) async throws -> (ms: Double, bytes: Int) {
    let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "head", role: "head", dealership: "north")).secret.text
    let connection = RelayConnection(baseURL: URL(string: relayURL)!, token: token)
    var bytes = 0
    let ms = try await milliseconds { bytes = try await connection.getBytes("v1/analytics", timeout: 600).count }
    return (ms, bytes)
}

/// The relay's share of a first sync: every page fetched over HTTP and decoded (JSON and
/// base64) as a device does, but nothing applied or stored; `runs` times, the median reported.
private func measureWireFirstSyncs(relayURL: String, relayFolder: String, runs: Int, deviceMs: Double) async throws {
    let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "wire", role: "sales", dealership: "north",
                                              device: "bench-wire")).secret.text
    let connection = RelayConnection(baseURL: URL(string: relayURL)!, token: token)
    var times: [Double] = []
    var pages = 0
    var snapshots = 0
    var blobBytes = 0
    // A small device of another dealership syncs every 10 ms, alone and then while the first
    // syncs run: what a first sync costs everyone else.
    let prober = try await SmallSyncProber(relayURL: relayURL, relayFolder: relayFolder)
    let alone = try await prober.probe(for: .seconds(2))
    let probing = Task { try await prober.probe(for: .seconds(3_600)) }
    for _ in 0..<runs {
        (pages, snapshots, blobBytes) = (0, 0, 0)
        times.append(try await milliseconds {
            var request = SyncRequest(cursor: 0, push: [])
            while true {
                let answer: SyncResponse = try await connection.post("v1/sync", request)
                pages += 1
                for snapshot in answer.snapshots {
                    snapshots += 1
                    blobBytes += decodeBase64(snapshot.snapshot)?.count ?? 0
                }
                guard let after = answer.snapshotsAfter else { break }
                request.snapshotsAfter = after
                request.bootstrapCursor = answer.bootstrapCursor
            }
        })
    }
    probing.cancel()
    let during = try await probing.value
    report(["bench": "relay.sync.small_sync_during_first_sync", "deals_on_relay_first_synced": snapshots,
            "alone_p50_ms": round2(percentile(alone, 0.5)), "alone_p99_ms": round2(percentile(alone, 0.99)),
            "during_p50_ms": round2(percentile(during, 0.5)), "during_p99_ms": round2(percentile(during, 0.99)),
            "during_max_ms": round2(during.last ?? 0), "rounds_alone": alone.count, "rounds_during": during.count,
            "p99_vs_alone": ratio(percentile(during, 0.99), percentile(alone, 0.99)),
            "note": "one sync round (nothing to push, nothing new) of a device of another dealership every 10 ms, alone and while the first syncs below are fetched; times sorted"])
    let ms = median(times)
    report(["bench": "relay.sync.first_sync_wire", "runs": runs, "ms": round2(ms), "ms_runs": times.map(round2), "pages": pages,
            "snapshots": snapshots, "snapshot_bytes": blobBytes, "device_share": round2(1 - ms / max(deviceMs, 1)),
            "note": "the same first sync fetched and decoded (JSON, base64) but not applied: the relay and the wire; device_share is the rest of relay.sync.first_sync's median"])
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

/// A device of its own dealership (`probe`) that makes one small sync round (nothing to push,
/// nothing new, no long-poll) every 10 ms and times each.
private struct SmallSyncProber: Sendable {
    let connection: RelayConnection
    let cursor: LogPosition

    init(relayURL: String, relayFolder: String) async throws {
        let token = try TokenCommands.issue(.init(dataDirectory: relayFolder, user: "probe", role: "sales", dealership: "probe",
                                                  device: "probe-pc")).secret.text
        connection = RelayConnection(baseURL: URL(string: relayURL)!, token: token)
        let first: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: 0, push: []))
        cursor = first.cursor
    }

    /// The rounds' times in milliseconds, sorted, until `duration` passes or the task is cancelled.
    func probe(for duration: Duration) async throws -> [Double] {
        var times: [Double] = []
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end && !Task.isCancelled {
            let started = ContinuousClock.now
            let _: SyncResponse = try await connection.post("v1/sync", SyncRequest(cursor: cursor, push: []))
            let elapsed = ContinuousClock.now - started
            times.append(Double(elapsed.components.seconds) * 1_000 + Double(elapsed.components.attoseconds) / 1e15)
            try? await Task.sleep(for: .milliseconds(10))
        }
        return times.sorted()
    }
}
