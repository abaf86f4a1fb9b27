import Foundation
import SyncCore

/// `sync-bench store`: the device store at `cards` deals, built once and then measured in
/// the same process: open, list, first and cached card loads, edits on one deal and spread
/// over many. Every edit commits with `synchronous=FULL` before it returns; the `fsync` line
/// measures one bare fsync in the same folder, the baseline the edit ratios divide by, so
/// the output shows how much of a write is durability and how much is the engine.
func benchStore(cards: Int, edits: Int = 1_000) async throws {
    let folder = try BenchFolder("store")
    defer { folder.remove() }
    let path = folder.sub("device")
    let durability = "every edit commits with synchronous=FULL (a WAL fsync) before it returns; per_op_vs_fsync says how many bare fsyncs one write costs"

    let fsyncMicroseconds = try fsyncBaseline(in: folder.path)
    report(["bench": "store.fsync", "count": 200, "per_op_us": round2(fsyncMicroseconds),
            "note": "write 64 bytes + fsync of a plain file in the store's folder: the baseline of the *_vs_fsync ratios"])

    // Build once, as a device would: one createDeal (two documents, three commits) per deal.
    let store = try DeviceStore(creatingAt: path, identity: DealFixture.salesIdentity(user: "anna", device: "bench-pc"))
    let buildMs = try await milliseconds {
        for index in 0..<cards { try await store.createDeal(id: DealFixture.id(index), values: DealFixture.values(index)) }
    }
    await store.close()
    let buildPeak = peakResidentMiB()
    report(["bench": "store.build", "cards": cards, "fields_per_card": DealFixture.values(0).count, "ms": round2(buildMs),
            "per_op_us": round2(buildMs * 1_000 / Double(cards)), "per_op_vs_fsync": ratio(buildMs * 1_000 / Double(cards), fsyncMicroseconds),
            "peak_rss_mib": buildPeak, "durability": durability])

    // Measure from here: the build's cache of every document is gone with the closed store.
    let peakReset = resetPeakResident()
    let rssBefore = residentMiB()
    var opened: DeviceStore?
    let openMs = try milliseconds { opened = try DeviceStore(openingAt: path) }
    guard let reopened = opened else { return }
    report(["bench": "store.open", "cards": cards, "ms": round2(openMs)])

    var listed = 0
    let listMs = try await milliseconds { listed = try await reopened.deals().count }
    report(["bench": "store.list", "cards": cards, "listed": listed, "ms": round2(listMs),
            "per_op_us": round2(listMs * 1_000 / Double(max(listed, 1)))])

    let target = DealFixture.id(cards / 2)
    let firstMs = try await milliseconds { _ = try await reopened.card(target) }
    let cachedRepeats = 1_000
    let cachedMs = try await milliseconds { for _ in 0..<cachedRepeats { _ = try await reopened.card(target) } }
    report(["bench": "store.card.first", "ms": round2(firstMs), "note": "snapshot-less load: the deal's change rows from SQLite"])
    report(["bench": "store.card.cached", "count": cachedRepeats, "ms": round2(cachedMs),
            "per_op_us": round2(cachedMs * 1_000 / Double(cachedRepeats)),
            "first_load_vs_cached": ratio(firstMs * 1_000, cachedMs * 1_000 / Double(cachedRepeats))])

    // Timed per edit too: the first and last tenth show whether cost grows with history.
    var editTimes: [Double] = []
    let oneDealMs = try await milliseconds {
        for number in 0..<edits {
            let edit = DealFixture.edit(number)
            editTimes.append(try await milliseconds { try await reopened.set(target, edit.path, edit.value) })
        }
    }
    let oneDealPerOp = oneDealMs * 1_000 / Double(edits)
    let tenth = max(edits / 10, 1)
    let firstTenthUs = editTimes.prefix(tenth).reduce(0, +) * 1_000 / Double(tenth)
    let lastTenthUs = editTimes.suffix(tenth).reduce(0, +) * 1_000 / Double(tenth)
    report(["bench": "store.edit.one_deal", "edits": edits, "ms": round2(oneDealMs), "per_op_us": round2(oneDealPerOp),
            "per_op_vs_fsync": ratio(oneDealPerOp, fsyncMicroseconds),
            "first_tenth_per_op_us": round2(firstTenthUs), "last_tenth_per_op_us": round2(lastTenthUs),
            "last_vs_first_tenth": ratio(lastTenthUs, firstTenthUs),
            "note": "a snapshot is folded every 128 changes of a document (DeviceStore.changesPerSnapshot)", "durability": durability])

    // Deals other than `target`, spread evenly over the store; each is loaded cold by its edit.
    let spread = (0..<min(edits, cards)).map { DealFixture.id(($0 * cards / min(edits, cards) + 1) % cards) }.filter { $0 != target }
    let spreadMs = try await milliseconds {
        for (number, deal) in spread.enumerated() {
            let edit = DealFixture.edit(number)
            try await reopened.set(deal, edit.path, edit.value)
        }
    }
    let spreadPerOp = spreadMs * 1_000 / Double(max(spread.count, 1))
    report(["bench": "store.edit.spread", "edits": spread.count, "deals": spread.count, "ms": round2(spreadMs),
            "per_op_us": round2(spreadPerOp), "per_op_vs_fsync": ratio(spreadPerOp, fsyncMicroseconds),
            "per_op_vs_one_deal": ratio(spreadPerOp, oneDealPerOp),
            "note": "each edit first loads its deal's document from SQLite", "durability": durability])

    await reopened.close()
    report(["bench": "store.summary", "cards": cards,
            "peak_rss_mib": peakReset ? peakResidentMiB() : -1, "rss_before_open_mib": rssBefore,
            "peak_over_before_open_mib": peakReset ? round2(peakResidentMiB() - rssBefore) : -1, "build_peak_rss_mib": buildPeak,
            "peak_note": "peak since the built store was closed (VmHWM reset; the allocator keeps the build's pages, hence rss_before_open_mib); build_peak_rss_mib covers the build",
            "store_bytes": bytesOnDisk(in: path, prefix: "store.sqlite"),
            "store_bytes_per_card": bytesOnDisk(in: path, prefix: "store.sqlite") / max(cards, 1), "durability": durability])
}

/// Microseconds of one 64-byte write plus fsync of a plain file in `folder`, averaged over 200.
private func fsyncBaseline(in folder: String) throws -> Double {
    let path = folder + "/fsync-baseline"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
    defer { close(fd); unlink(path) }
    let bytes = [UInt8](repeating: 0x2A, count: 64)
    let ms = milliseconds {
        for _ in 0..<200 {
            _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            _ = fsync(fd)
        }
    }
    return ms * 1_000 / 200
}
